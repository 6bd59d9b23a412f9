/**
 * DynamoDB's billing arithmetic, applied to requests seen on the wire (bench/scale.ts): the size
 * of an item in DynamoDB JSON, the write and read request units a request consumes, and the index
 * writes a change to an item makes. DynamoDB Local returns no consumed capacity unless asked, and
 * the functions do not ask, so the units are computed from the items' sizes by the rules AWS
 * documents: a write is ceil(KB) units per item (1 KB units), twice that in a transaction; a read
 * is ceil(bytes / 4 KB) per item (a Query sums its items first), half of that when eventually
 * consistent, twice in a transaction; every request costs at least one unit's step.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

export type Item = Record<string, AttributeValue>;

const KB = 1024;
const READ_UNIT_BYTES = 4 * KB;

/** An item's size as DynamoDB bills it: each attribute's name (UTF-8) plus its value. */
export function itemBytes(item: Item): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(item)) bytes += Buffer.byteLength(name) + valueBytes(value);
  return bytes;
}

/**
 * A value's size: strings by their UTF-8 bytes, numbers by about one byte per two significant
 * digits plus one, binaries by their bytes, booleans and nulls one byte; lists and maps 3 bytes
 * plus one per element plus the elements (a map's member names included); sets their elements.
 */
export function valueBytes(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S);
  if (value.N !== undefined) return numberBytes(value.N);
  if (value.B !== undefined) return binaryBytes(value.B);
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS !== undefined) return value.SS.reduce((sum, text) => sum + Buffer.byteLength(text), 0);
  if (value.NS !== undefined) return value.NS.reduce((sum, text) => sum + numberBytes(text), 0);
  if (value.BS !== undefined) return value.BS.reduce((sum, bytes) => sum + binaryBytes(bytes), 0);
  if (value.L !== undefined) return 3 + value.L.reduce((sum, element) => sum + 1 + valueBytes(element), 0);
  if (value.M !== undefined) {
    return 3 + Object.entries(value.M).reduce((sum, [name, member]) => sum + 1 + Buffer.byteLength(name) + valueBytes(member), 0);
  }
  return 0;
}

function numberBytes(text: string): number {
  const digits = text.replace(/^-/, '').replace(/e.*$/i, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(Math.max(digits.length, 1) / 2) + 1;
}

/** On the wire (JSON) a binary is base64 text; decoded, a Uint8Array. */
function binaryBytes(value: unknown): number {
  if (typeof value === 'string') return Buffer.from(value, 'base64').length;
  if (value instanceof Uint8Array) return value.length;
  return 0;
}

/** Write request units of one item write of `bytes` (1 KB steps, at least one). */
export function writeUnits(bytes: number, transactional = false): number {
  return Math.max(1, Math.ceil(bytes / KB)) * (transactional ? 2 : 1);
}

/** Read request units of reading `bytes` in one go (4 KB steps, at least one step). */
export function readUnits(bytes: number, consistency: 'eventual' | 'strong' | 'transactional'): number {
  const steps = Math.max(1, Math.ceil(bytes / READ_UNIT_BYTES));
  return steps * { eventual: 0.5, strong: 1, transactional: 2 }[consistency];
}

/** A table's index by the attributes that put an item on it (its partition and sort key). */
export interface IndexKeys {
  indexName: string;
  partitionKey: string;
  sortKey: string;
}

/** One write to an index's partition, caused by a change to a table item. */
export interface IndexWrite {
  indexName: string;
  /** The index partition written (the item's index partition key value). */
  partition: string;
  units: number;
}

/**
 * The index writes of one item change (a stream record's old and new images; an index projects
 * ALL attributes, so its entries are the item's size): an item entering the index is one put, one
 * leaving it one delete, one staying under the same keys one update, one whose keys change both a
 * delete and a put.
 */
export function indexWrites(oldImage: Item | undefined, newImage: Item | undefined, indexes: readonly IndexKeys[]): IndexWrite[] {
  const writes: IndexWrite[] = [];
  for (const index of indexes) {
    const before = indexEntry(oldImage, index);
    const after = indexEntry(newImage, index);
    if (before && after && before.partition === after.partition && before.sort === after.sort) {
      writes.push({ indexName: index.indexName, partition: after.partition, units: writeUnits(Math.max(before.bytes, after.bytes)) });
      continue;
    }
    if (before) writes.push({ indexName: index.indexName, partition: before.partition, units: writeUnits(before.bytes) });
    if (after) writes.push({ indexName: index.indexName, partition: after.partition, units: writeUnits(after.bytes) });
  }
  return writes;
}

function indexEntry(image: Item | undefined, index: IndexKeys): { partition: string; sort: string; bytes: number } | undefined {
  const partition = image?.[index.partitionKey]?.S;
  if (image === undefined || partition === undefined) return undefined;
  return { partition, sort: image[index.sortKey]?.S ?? '', bytes: itemBytes(image) };
}

/** An item's key as a lookup string. */
export function keyOf(item: Item | undefined): string | undefined {
  const pk = item?.pk?.S;
  return pk === undefined ? undefined : `${pk}\u0000${item?.sk?.S ?? ''}`;
}

/** What one request consumed, and which table partitions its writes landed in. */
export interface RequestUnits {
  readUnits: number;
  writeUnits: number;
  /** Write units by table partition key (`FORM#default`...). */
  writesByPartition: Map<string, number>;
}

interface WireRequest {
  Item?: Item;
  Key?: Item;
  ConsistentRead?: boolean;
  IndexName?: string;
  TransactItems?: Array<{ Put?: { Item: Item }; Update?: { Key: Item }; Delete?: { Key: Item }; ConditionCheck?: { Key: Item } }>;
  RequestItems?: Record<string, Array<{ PutRequest?: { Item: Item }; DeleteRequest?: { Key: Item } }> | { ConsistentRead?: boolean }>;
}

interface WireResponse {
  Item?: Item;
  Items?: Item[];
  Responses?: Record<string, Item[]> | Array<{ Item?: Item }>;
}

/**
 * The units of one request as DynamoDB bills them. Writes take the larger of the item as sent and
 * `storedBytes` (the largest the item ever was: an update is billed on the larger of the item
 * before and after); an update or delete of an item never stored is billed its minimum. A write
 * that failed its condition is billed too, as DynamoDB bills it.
 */
export function requestUnits(
  operation: string,
  requestBody: string,
  responseBody: string,
  storedBytes: (key: string) => number,
): RequestUnits {
  const request = parse<WireRequest>(requestBody);
  const response = parse<WireResponse>(responseBody);
  const writesByPartition = new Map<string, number>();
  let reads = 0;
  let writes = 0;
  /** One item written: `sent` is the item as a Put sends it, `key` what names it otherwise. */
  const write = (sent: Item | undefined, key: Item | undefined, transactional: boolean) => {
    const lookup = keyOf(sent ?? key);
    const units = writeUnits(Math.max(sent ? itemBytes(sent) : 0, lookup ? storedBytes(lookup) : 0), transactional);
    writes += units;
    const partition = (sent ?? key)?.pk?.S ?? '?';
    writesByPartition.set(partition, (writesByPartition.get(partition) ?? 0) + units);
  };
  const sized = (item: Item) => Math.max(itemBytes(item), storedBytes(keyOf(item) ?? ''));
  const consistency = (strong: boolean | undefined) => (strong ? 'strong' : 'eventual');

  switch (operation) {
    case 'PutItem':
      write(request.Item, undefined, false);
      break;
    case 'UpdateItem':
    case 'DeleteItem':
      write(undefined, request.Key, false);
      break;
    case 'TransactWriteItems':
      for (const entry of request.TransactItems ?? []) {
        write(entry.Put?.Item, entry.Update?.Key ?? entry.Delete?.Key ?? entry.ConditionCheck?.Key, true);
      }
      break;
    case 'BatchWriteItem':
      for (const requests of Object.values(request.RequestItems ?? {})) {
        for (const entry of Array.isArray(requests) ? requests : []) write(entry.PutRequest?.Item, entry.DeleteRequest?.Key, false);
      }
      break;
    case 'GetItem':
      reads += readUnits(response.Item ? sized(response.Item) : 0, consistency(request.ConsistentRead));
      break;
    case 'Query':
    case 'Scan': {
      // An index is read eventually consistent; a page's items are summed before rounding.
      const bytes = (response.Items ?? []).reduce((sum, item) => sum + sized(item), 0);
      reads += readUnits(bytes, request.IndexName ? 'eventual' : consistency(request.ConsistentRead));
      break;
    }
    case 'BatchGetItem':
      for (const [table, items] of Object.entries(Array.isArray(response.Responses) ? {} : (response.Responses ?? {}))) {
        const asked = request.RequestItems?.[table];
        const strong = asked && !Array.isArray(asked) ? asked.ConsistentRead : undefined;
        for (const item of items) reads += readUnits(sized(item), consistency(strong));
      }
      break;
    case 'TransactGetItems':
      for (const entry of Array.isArray(response.Responses) ? response.Responses : []) {
        reads += readUnits(entry.Item ? sized(entry.Item) : 0, 'transactional');
      }
      break;
    default:
      break;
  }
  return { readUnits: reads, writeUnits: writes, writesByPartition };
}

function parse<T>(body: string): Partial<T> {
  try {
    return JSON.parse(body) as Partial<T>;
  } catch {
    return {};
  }
}
