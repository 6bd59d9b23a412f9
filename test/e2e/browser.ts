import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';

/**
 * The browser tests' Chromium, the first of:
 *   1. LEADFLOW_CHROMIUM, a path to a Chromium or Chrome binary (used as given, or an error);
 *   2. Debian's chromium (/usr/bin/chromium, /usr/bin/chromium-browser);
 *   3. on x86-64 Linux, the headless shell the npm package @sparticuz/chromium ships brotli-compressed
 *      (extracted to the temp directory once, about 2 s; later runs reuse it).
 * Without any, the browser tests fail with one line saying what to install.
 */
const INSTALL_HINT = "install Debian's chromium (apt-get install chromium) or set LEADFLOW_CHROMIUM=/path/to/chrome";
const DEBIAN_CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

/**
 * Without the background-networking flags Chromium tries hosts this offline machine cannot reach.
 * @sparticuz/chromium's own `chromium.args` are for Lambda and are not used: `--single-process`
 * crashes the browser when a second context opens after one closed, `--disable-web-security` would
 * hide CORS faults from the dashboard test, and the SwiftShader/in-process GPU flags contradict
 * `--disable-gpu`.
 */
const chromiumFlags = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];

export interface FoundChromium {
  executablePath: string;
  /** Extra environment for the browser process (the packaged one's fonts, and its libraries where the system lacks them). */
  env: Record<string, string>;
  /** Where it came from, for messages. */
  source: string;
}

/** A browser per the order above; throws an Error with a one-line message when there is none. */
export async function findChromium(environment: NodeJS.ProcessEnv = process.env): Promise<FoundChromium> {
  const explicit = environment.LEADFLOW_CHROMIUM;
  if (explicit) {
    if (!isExecutableFile(explicit)) {
      throw new Error(`LEADFLOW_CHROMIUM=${explicit} is not an executable file: point it at a Chromium or Chrome binary, or unset it`);
    }
    return { executablePath: explicit, env: {}, source: 'LEADFLOW_CHROMIUM' };
  }
  const debian = DEBIAN_CHROMIUM.find(isExecutableFile);
  if (debian) return { executablePath: debian, env: {}, source: debian };
  if (process.platform === 'linux' && process.arch === 'x64') return packagedChromium();
  throw new Error(
    `no Chromium found: ${INSTALL_HINT} (the npm package @sparticuz/chromium covers x86-64 Linux only, not ${process.platform}-${process.arch})`,
  );
}

/** One browser for the calling test file, closed after it; read `.current` inside tests. */
export function useBrowser(): { readonly current: Browser } {
  let browser: Browser | undefined;
  beforeAll(async () => {
    const found = await oneLine(findChromium());
    // A browser that is there but fails to start keeps Playwright's whole message: its log says why.
    browser = await chromium.launch({
      executablePath: found.executablePath,
      args: chromiumFlags,
      env: { ...definedEntries(process.env), ...found.env },
    });
  });
  afterAll(async () => {
    await browser?.close();
  });
  return {
    get current(): Browser {
      if (!browser) throw new Error('no browser: it is launched in beforeAll, for the tests');
      return browser;
    },
  };
}

/**
 * @sparticuz/chromium's headless shell: `executablePath()` extracts the binary, its fonts and
 * SwiftShader to the temp directory (once: it reuses what is there). The binary links only
 * glibc, NSS and expat; where the system lacks NSS (Debian's libnss3), the Amazon Linux copies the
 * package ships are used. Its fonts.conf names /tmp/fonts; ours names the extracted fonts wherever
 * they are, plus the system's, because the shell's renderer crashes on a machine without fonts.
 */
async function packagedChromium(): Promise<FoundChromium> {
  const { default: packaged, inflate } = await import('@sparticuz/chromium');
  const packageDir = path.dirname(path.dirname(createRequire(import.meta.url).resolve('@sparticuz/chromium')));
  const expectedMajor = (JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { version: string }).version.split(
    '.',
  )[0];
  const source = `@sparticuz/chromium ${expectedMajor}`;

  const extract = () =>
    packaged.executablePath().catch((error: unknown) => {
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(`the packaged Chromium (${source}) could not be extracted to ${os.tmpdir()}: ${reason}; ${INSTALL_HINT}`);
    });
  let executablePath = await extract();
  const env: Record<string, string> = {};
  const fontsDir = path.join(path.dirname(executablePath), 'fonts');
  env.FONTCONFIG_FILE = writeFontConfig(fontsDir);

  const expected = (probe: VersionProbe) => probe.version?.startsWith(`Chromium ${expectedMajor}.`) ?? false;
  let probe = await versionOf(executablePath, env);
  if (!probe.missingLibrary && !expected(probe)) {
    // A cut-short extraction (the package reuses any file at that path) or another version's binary: extract again.
    rmSync(executablePath, { force: true });
    executablePath = await extract();
    probe = await versionOf(executablePath, env);
  }
  if (probe.missingLibrary) {
    const libraries = path.join(await inflate(path.join(packageDir, 'bin', 'al2023.tar.br')), 'lib');
    env.LD_LIBRARY_PATH = [libraries, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':');
    probe = await versionOf(executablePath, env);
  }
  if (!expected(probe)) {
    const problem = probe.problem ?? `it reports ${probe.version}`;
    throw new Error(`the packaged Chromium (${source}, ${executablePath}) does not run here: ${problem}; ${INSTALL_HINT}`);
  }
  return { executablePath, env, source };
}

interface VersionProbe {
  version?: string;
  missingLibrary?: boolean;
  problem?: string;
}

/** `chromium --version` (about 20 ms): proves the binary is whole and its libraries load. */
function versionOf(executablePath: string, env: Record<string, string>): Promise<VersionProbe> {
  return new Promise((resolve) => {
    execFile(
      executablePath,
      ['--version'],
      { env: { ...definedEntries(process.env), ...env }, timeout: 30_000 },
      (error, stdout, stderr) => {
        const output = `${stderr}\n${stdout}`.trim();
        if (!error && /^Chromium \d+\./m.test(stdout)) {
          resolve({ version: stdout.trim() });
          return;
        }
        const problem = output.split('\n').find(Boolean) ?? error?.message ?? 'no version printed';
        resolve({ missingLibrary: output.includes('error while loading shared libraries'), problem });
      },
    );
  });
}

/** A fontconfig file naming the system's configuration (if any) and the package's fonts; written whole or not at all. */
function writeFontConfig(fontsDir: string): string {
  const file = path.join(path.dirname(fontsDir), 'leadflow-chromium-fonts.conf');
  const text = `<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <dir>${fontsDir}</dir>
  <cachedir>${fontsDir}-cache</cachedir>
</fontconfig>
`;
  if (!existsSync(file) || readFileSync(file, 'utf8') !== text) {
    const partial = `${file}.${process.pid}`;
    writeFileSync(partial, text);
    renameSync(partial, file);
  }
  return file;
}

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

function definedEntries(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

/** The error's message alone: vitest prints it as the one line that says what to do, without a stack. */
async function oneLine<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const bare = new Error(message);
    bare.stack = `Error: ${message}`;
    throw bare;
  }
}
