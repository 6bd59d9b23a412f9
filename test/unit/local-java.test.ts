import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MIN_JAVA_VERSION, checkJava, javaProblem, parseJavaMajorVersion } from '../../local/dynamodb';

const INSTALL = 'install it (Debian: apt-get install openjdk-17-jre-headless) and run again';

describe('parseJavaMajorVersion', () => {
  it.each([
    ['openjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime Environment (build 17.0.15+6-Debian-1deb12u1)', 17],
    ['openjdk version "21" 2023-09-19\nOpenJDK Runtime Environment (build 21+35-2513)', 21],
    ['openjdk version "11.0.21" 2023-10-17 LTS', 11],
    ['java version "1.8.0_402"\nJava(TM) SE Runtime Environment (build 1.8.0_402-b06)', 8],
    ['openjdk version "24-ea" 2025-03-18', 24],
    ['openjdk version "17.0.2-internal" 2022-01-18', 17],
    ['Picked up JAVA_TOOL_OPTIONS: -Xmx512m\nopenjdk version "17.0.9" 2023-10-17', 17],
  ])('reads %j as %i', (output, major) => {
    expect(parseJavaMajorVersion(output)).toBe(major);
  });

  it('names no version in output without one', () => {
    expect(parseJavaMajorVersion('')).toBeUndefined();
    expect(parseJavaMajorVersion('Unable to locate a Java Runtime.')).toBeUndefined();
  });
});

describe('javaProblem', () => {
  it('accepts Java 17 and newer', () => {
    expect(MIN_JAVA_VERSION).toBe(17);
    expect(javaProblem({ exitCode: 0, output: 'openjdk version "17.0.15" 2025-04-15' })).toBeUndefined();
    expect(javaProblem({ exitCode: 0, output: 'openjdk version "25" 2025-09-16' })).toBeUndefined();
  });

  it('says what to install, in one line, when there is no java on PATH', () => {
    const problem = javaProblem({ spawnError: 'ENOENT', exitCode: null, output: '' });
    expect(problem).toBe(`DynamoDB Local needs Java 17 or newer (there is no java on PATH): ${INSTALL}`);
  });

  it('names the version that is too old', () => {
    expect(javaProblem({ exitCode: 0, output: 'openjdk version "11.0.21" 2023-10-17' })).toBe(
      `DynamoDB Local needs Java 17 or newer (the java on PATH is Java 11): ${INSTALL}`,
    );
    expect(javaProblem({ exitCode: 0, output: 'java version "1.8.0_402"' })).toContain('(the java on PATH is Java 8)');
  });

  it('quotes the first line of a java that fails, such as macOS stub', () => {
    const output =
      'The operation couldn’t be completed. Unable to locate a Java Runtime.\nPlease visit http://www.java.com for information on installing Java.\n';
    expect(javaProblem({ exitCode: 1, output })).toBe(
      `DynamoDB Local needs Java 17 or newer (java -version failed: The operation couldn’t be completed. Unable to locate a Java Runtime.): ${INSTALL}`,
    );
    expect(javaProblem({ spawnError: 'EACCES', exitCode: null, output: '' })).toBe(
      `DynamoDB Local needs Java 17 or newer (java -version did not run: EACCES): ${INSTALL}`,
    );
  });

  it('lets a working java with an unfamiliar version line try', () => {
    expect(javaProblem({ exitCode: 0, output: 'some vendor build 2031' })).toBeUndefined();
  });

  it('answers in one line', () => {
    for (const probe of [
      { spawnError: 'ENOENT', exitCode: null, output: '' },
      { exitCode: 0, output: 'java version "1.8.0_402"\nmore\nlines' },
      { exitCode: 1, output: 'first\nsecond' },
    ]) {
      expect(javaProblem(probe)).not.toContain('\n');
    }
  });
});

describe('checkJava', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'leadflow-java-'));
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const savedPath = process.env.PATH;
  afterAll(() => {
    process.env.PATH = savedPath;
  });

  /** A `java` on PATH that prints what a Java 11 prints. */
  function fakeJava(versionLine: string, exitCode = 0): string {
    const bin = mkdtempSync(path.join(dir, 'bin-'));
    writeFileSync(path.join(bin, 'java'), `#!/bin/sh\necho '${versionLine}' >&2\nexit ${exitCode}\n`);
    chmodSync(path.join(bin, 'java'), 0o755);
    return bin;
  }

  it('throws the one line, without a stack, for a java too old', async () => {
    process.env.PATH = fakeJava('openjdk version "11.0.21" 2023-10-17');
    const error = await checkJava().then(
      () => undefined,
      (thrown: unknown) => thrown as Error,
    );
    expect(error?.message).toBe(`DynamoDB Local needs Java 17 or newer (the java on PATH is Java 11): ${INSTALL}`);
    expect(error?.stack).toBe(`Error: ${error?.message}`);
  });

  it('throws when there is no java on PATH', async () => {
    process.env.PATH = mkdtempSync(path.join(dir, 'empty-'));
    await expect(checkJava()).rejects.toThrow(`(there is no java on PATH): ${INSTALL}`);
  });

  it('passes a Java 17', async () => {
    process.env.PATH = fakeJava('openjdk version "17.0.15" 2025-04-15');
    await expect(checkJava()).resolves.toBeUndefined();
  });
});
