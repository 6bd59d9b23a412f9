/**
 * HTTP API route selection, as API Gateway does it: the most specific route wins. Literal path
 * segments beat `{param}` segments, which beat a greedy `{proxy+}`; a method beats `ANY`; the
 * `$default` route takes what nothing else matches.
 */

type Segment = { kind: 'literal'; value: string } | { kind: 'param'; name: string } | { kind: 'greedy'; name: string };

export interface CompiledRoute<T> {
  routeKey: string;
  /** Uppercase method, `ANY`, or undefined for `$default`. */
  method: string | undefined;
  segments: Segment[];
  target: T;
}

export interface RouteMatch<T> {
  route: CompiledRoute<T>;
  pathParameters: Record<string, string>;
}

export function compileRoute<T>(routeKey: string, target: T): CompiledRoute<T> {
  if (routeKey === '$default') return { routeKey, method: undefined, segments: [], target };
  const [, method, path] = /^([A-Z]+) (\/\S*)$/.exec(routeKey) ?? [];
  if (method === undefined || path === undefined) {
    throw new Error(`route key ${JSON.stringify(routeKey)} is not "METHOD /path" or $default`);
  }
  const parts = splitPath(path);
  const segments = parts.map((part, index): Segment => {
    const [, name, greedy] = /^\{([A-Za-z0-9_.-]+)(\+?)\}$/.exec(part) ?? [];
    if (name === undefined) return { kind: 'literal', value: part };
    if (greedy && index !== parts.length - 1) throw new Error(`route ${routeKey}: a greedy {${name}+} must come last`);
    return { kind: greedy ? 'greedy' : 'param', name };
  });
  return { routeKey, method, segments, target };
}

/** The route for a request, or undefined (API Gateway answers 404). `path` is the raw, still-encoded path. */
export function matchRoute<T>(routes: Array<CompiledRoute<T>>, method: string, path: string): RouteMatch<T> | undefined {
  const parts = splitPath(path);
  let best: { match: RouteMatch<T>; rank: number[] } | undefined;
  for (const route of routes) {
    if (route.method !== undefined && route.method !== 'ANY' && route.method !== method.toUpperCase()) continue;
    const pathParameters = route.method === undefined ? {} : matchSegments(route.segments, parts);
    if (!pathParameters) continue;
    const rank = rankOf(route);
    if (!best || compareRanks(rank, best.rank) < 0) best = { match: { route, pathParameters }, rank };
  }
  return best?.match;
}

function splitPath(path: string): string[] {
  return path === '/' ? [] : path.slice(1).split('/');
}

function matchSegments(segments: Segment[], parts: string[]): Record<string, string> | undefined {
  const parameters: Record<string, string> = {};
  for (const [index, segment] of segments.entries()) {
    if (segment.kind === 'greedy') {
      const rest = parts.slice(index);
      // A greedy variable takes at least one segment: `/{proxy+}` does not match `/`.
      if (rest.length === 0 || rest.join('') === '') return undefined;
      parameters[segment.name] = decode(rest.join('/'));
      return parameters;
    }
    const part = parts[index];
    if (part === undefined) return undefined;
    if (segment.kind === 'literal' ? part !== segment.value : part === '') return undefined;
    if (segment.kind === 'param') parameters[segment.name] = decode(part);
  }
  return segments.length === parts.length ? parameters : undefined;
}

/** Lower ranks are more specific: one entry per segment (literal 0, param 1, greedy 2), then the method. */
function rankOf(route: CompiledRoute<unknown>): number[] {
  if (route.method === undefined) return [Number.POSITIVE_INFINITY];
  const kinds = { literal: 0, param: 1, greedy: 2 };
  return [...route.segments.map((segment) => kinds[segment.kind]), route.method === 'ANY' ? 1 : 0];
}

function compareRanks(a: number[], b: number[]): number {
  for (const [i, x] of a.entries()) {
    const y = b[i];
    if (y === undefined) break;
    if (x !== y) return x - y;
  }
  return a.length - b.length;
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
