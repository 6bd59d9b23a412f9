/**
 * SES v2 locally: aws-ses-v2-local (2.x) serving the SES v2 REST API, plus helpers to load the
 * templates the stack declares and to read what was "sent".
 *
 * What aws-ses-v2-local does (read from its source, 2.10.2):
 * - SendEmail with Simple, Raw and Template content, SendBulkEmail, and Create/Get/Update/
 *   Delete/List/TestRender of email templates;
 * - templates render with Handlebars like SES (variables, dotted paths, #if/#each, no HTML
 *   escaping; a missing variable renders empty unless AWS_SES_STRICT_TEMPLATE_RENDERING=true);
 * - custom `Headers` of Simple and Template content are kept with the captured mail (so
 *   List-Unsubscribe / List-Unsubscribe-Post can be checked); Raw mail keeps only the parsed
 *   addresses, subject and bodies;
 * - ConfigurationSetName, EmailTags and ListManagementOptions are accepted and ignored: no
 *   events (delivery, bounce, open, click) are ever produced;
 * - GET /store answers `{templates, emails}` (`?since=<epoch seconds>` filters), POST
 *   /clear-store empties it, GET / is a web UI;
 * - errors carry the SES name only in a `type` body field, which the SDK does not read (it would
 *   raise `Unknown`): startSes adds the `x-amzn-ErrorType` header AWS sends (withAwsErrorTypes),
 *   so the SDK raises NotFoundException, AlreadyExistsException... as on AWS;
 * - the store is a module-level singleton: every server started in one process shares it;
 * - GetAccount answers the account document in AWS_SES_ACCOUNT (startSes sets a local one).
 */
import { CreateEmailTemplateCommand, SESv2Client, UpdateEmailTemplateCommand } from '@aws-sdk/client-sesv2';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface LocalSes {
  /** For SESv2Client `endpoint` / AWS_ENDPOINT_URL_SESV2. */
  endpoint: string;
  /** GET: JSON `{templates, emails}` of everything captured. */
  storeUrl: string;
  /** The mailbox web UI. */
  uiUrl: string;
  /** How many times the supervisor brought the emulator back. */
  restarts(): number;
  /** Closes the emulator's server as a crash would (a drill): the supervisor brings it back. */
  crash(): void;
  stop(): Promise<void>;
}

/** The `Template` of a CloudFormation `AWS::SES::Template`. */
export interface EmailTemplate {
  TemplateName: string;
  SubjectPart: string;
  HtmlPart?: string;
  TextPart?: string;
}

export interface CapturedEmail {
  messageId: string;
  from: string;
  to: string[];
  cc: string[];
  bcc: string[];
  replyTo: string[];
  subject: string;
  html?: string;
  text?: string;
  /** Custom headers as sent (Simple and Template content), by header name. */
  headers: Record<string, string>;
  /** When it was accepted, to the second. */
  date: Date;
}

/** Shape of an email in aws-ses-v2-local's store. */
interface StoredEmail {
  messageId: string;
  from: string;
  replyTo: string[];
  destination: { to: string[]; cc: string[]; bcc: string[] };
  subject: string;
  body: { html?: string; text?: string };
  headers?: Array<{ name: string; value: string }>;
  at: number;
}

/** The account GetAccount describes locally: sending enabled, out of the sandbox. */
const LOCAL_ACCOUNT = {
  DedicatedIpAutoWarmupEnabled: false,
  Details: {
    AdditionalContactEmailAddresses: [],
    ContactLanguage: 'EN',
    MailType: 'TRANSACTIONAL',
    ReviewDetails: { CaseId: 'local', Status: 'GRANTED' },
    UseCaseDescription: 'leadflow local cloud',
    WebsiteURL: 'http://127.0.0.1',
  },
  EnforcementStatus: 'HEALTHY',
  ProductionAccessEnabled: true,
  SendingEnabled: true,
  SendQuota: { Max24HourSend: 1_000_000, MaxSendRate: 1_000, SentLast24Hours: 0 },
  SuppressionAttributes: { SuppressedReasons: ['BOUNCE', 'COMPLAINT'] },
};

type StartServer = (config: { host: string; port: number }) => Promise<Server>;

// A CommonJS package with `exports.default`: require gives the same function under tsx, Node and vitest.
const startServer = (createRequire(import.meta.url)('aws-ses-v2-local') as { default: StartServer }).default;

/**
 * Starts aws-ses-v2-local in this process on 127.0.0.1 (port 0 picks a free port), supervised: if
 * its server closes unexpectedly (an error, a crash drill) it listens again on the same port after
 * a short backoff, logged. Its store is module-level, so the mailbox and templates survive that.
 */
export async function startSes({ port = 0, log = () => {} }: { port?: number; log?: (line: string) => void } = {}): Promise<LocalSes> {
  // aws-ses-v2-local answers GetAccount (GET /health's SES probe) from this variable only.
  process.env.AWS_SES_ACCOUNT ??= JSON.stringify(LOCAL_ACCOUNT);
  let server = withAwsErrorTypes(await startServer({ host: '127.0.0.1', port }));
  const { port: bound } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${bound}`;
  const supervision = { stopping: false };
  // A function, not the field: it changes across awaits, which the checker's narrowing does not see.
  const stopping = () => supervision.stopping;
  let restarts = 0;
  const supervise = (running: Server) => {
    running.once('close', () => {
      if (stopping()) return;
      log(`the SES emulator stopped unexpectedly; restarting it on port ${bound}`);
      void (async () => {
        for (let attempt = 0; !stopping(); attempt++) {
          await sleep(Math.min(500 * 2 ** attempt, 10_000));
          if (stopping()) return;
          try {
            server = withAwsErrorTypes(await startServer({ host: '127.0.0.1', port: bound }));
            restarts++;
            log(`the SES emulator is back on port ${bound} (restart ${restarts})`);
            supervise(server);
            return;
          } catch (error) {
            log(`the SES emulator did not restart: ${error instanceof Error ? error.message : String(error)}`);
          }
        }
      })();
    });
  };
  supervise(server);
  return {
    endpoint,
    storeUrl: `${endpoint}/store`,
    uiUrl: `${endpoint}/`,
    restarts: () => restarts,
    crash: () => {
      server.closeAllConnections();
      server.close();
    },
    stop: () => {
      supervision.stopping = true;
      return new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        if (!server.listening) {
          resolve();
          return;
        }
        server.close((error) => {
          if (error) reject(error);
          else resolve();
        });
      });
    },
  };
}

/**
 * AWS's REST-JSON services name an error in the `x-amzn-ErrorType` header, which is what the SDK
 * reads to raise the named exception. aws-ses-v2-local puts the name in a `type` body field only:
 * every error answer (status 400 and up) with one gets the header too, before it goes out.
 */
export function withAwsErrorTypes(server: Server): Server {
  const handlers = server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
    res.end = ((...args: unknown[]) => {
      const [chunk] = args;
      if (res.statusCode >= 400 && !res.headersSent && (typeof chunk === 'string' || Buffer.isBuffer(chunk))) {
        const type = errorTypeOfBody(chunk.toString());
        if (type) res.setHeader('x-amzn-ErrorType', type);
      }
      return end(...args);
    }) as ServerResponse['end'];
    for (const handle of handlers) handle.call(server, req, res);
  });
  return server;
}

function errorTypeOfBody(body: string): string | undefined {
  try {
    const { type } = JSON.parse(body) as { type?: unknown };
    return typeof type === 'string' && /^[A-Za-z]+$/.test(type) ? type : undefined;
  } catch {
    return undefined;
  }
}

/** Creates (or updates, if the name exists) each template through the SES v2 API. */
export async function createEmailTemplates(endpoint: string, templates: EmailTemplate[]): Promise<void> {
  const ses = new SESv2Client({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    for (const { TemplateName, SubjectPart, HtmlPart, TextPart } of templates) {
      const TemplateContent = { Subject: SubjectPart, Html: HtmlPart, Text: TextPart };
      try {
        await ses.send(new CreateEmailTemplateCommand({ TemplateName, TemplateContent }));
      } catch (error) {
        if (errorType(error) !== 'AlreadyExistsException') throw error;
        await ses.send(new UpdateEmailTemplateCommand({ TemplateName, TemplateContent }));
      }
    }
  } finally {
    ses.destroy();
  }
}

/** The SES error's name (the `type` field as well, for an emulator started without withAwsErrorTypes). */
function errorType(error: unknown): string | undefined {
  const { name, type } = error as { name?: string; type?: string };
  return type ?? name;
}

/** Every captured email, oldest first. */
export async function readMailbox(storeUrl: string): Promise<CapturedEmail[]> {
  const response = await fetch(storeUrl);
  if (!response.ok) throw new Error(`mailbox store answered ${response.status}`);
  const { emails } = (await response.json()) as { emails: StoredEmail[] };
  return emails.map((email) => ({
    messageId: email.messageId,
    from: email.from,
    to: email.destination.to,
    cc: email.destination.cc,
    bcc: email.destination.bcc,
    replyTo: email.replyTo,
    subject: email.subject,
    ...(email.body.html !== undefined && { html: email.body.html }),
    ...(email.body.text !== undefined && { text: email.body.text }),
    headers: Object.fromEntries((email.headers ?? []).map(({ name, value }) => [name, value])),
    date: new Date(email.at * 1000),
  }));
}
