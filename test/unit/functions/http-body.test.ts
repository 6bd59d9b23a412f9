import type middy from '@middy/core';
import { describe, expect, it } from 'vitest';
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../../../core/errors';
import { MAX_BODY_BYTES, parseFields } from '../../../core/submission';
import { bodyParser, type ParsedBodyEvent } from '../../../functions/shared/http-body';
import { parseMultipart } from '../../../functions/shared/multipart';
import { httpEvent, lambdaContext } from './events';

const form = 'application/x-www-form-urlencoded';
const json = 'application/json; charset=utf-8';

/** Runs the body parser as the middy chain would, then the core's field checks, as capture does. */
async function submitted(contentType: string | undefined, body: string, options: { base64?: boolean } = {}) {
  const event = httpEvent('POST /v1/forms/{formId}/submissions', {
    headers: contentType === undefined ? {} : { 'content-type': contentType },
    body: options.base64 ? Buffer.from(body).toString('base64') : body,
  }) as ParsedBodyEvent;
  event.isBase64Encoded = options.base64 ?? false;
  await bodyParser('form', MAX_BODY_BYTES, parseMultipart).before!({
    event,
    context: lambdaContext(),
    response: undefined,
    error: undefined,
    internal: {},
  } as unknown as middy.Request);
  // As the generic provider reads it: a JSON object's members, or the form's fields in order.
  const pairs = () => (event.form?.json ? Object.entries(event.form.json) : (event.form?.fields ?? []));
  return { event, fields: () => Object.fromEntries(parseFields(pairs())), pairs };
}

async function adminBody(contentType: string | undefined, body: string, method = 'PUT') {
  const event = httpEvent(`${method} /v1/forms/{formId}`, {
    headers: contentType === undefined ? {} : { 'content-type': contentType },
    body,
  }) as ParsedBodyEvent;
  await bodyParser('json').before!({
    event,
    context: lambdaContext(),
    response: undefined,
    error: undefined,
    internal: {},
  } as unknown as middy.Request);
  return event;
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure');
}

describe('form bodies (capture)', () => {
  it('reads a urlencoded HTML form body and keeps the raw body for signatures', async () => {
    const body = 'email=ada%40example.com&first_name=Ada&message=a+b';
    const { event, fields } = await submitted(form, body);
    expect(fields()).toEqual({ email: 'ada@example.com', first_name: 'Ada', message: 'a b' });
    expect(event.rawBody).toBe(body);
  });

  it('decodes a base64 body as API Gateway sends some', async () => {
    const { event, fields } = await submitted(form, 'email=z%40b.co&company=Caf%C3%A9', { base64: true });
    expect(fields()).toEqual({ email: 'z@b.co', company: 'Café' });
    expect(event.rawBody).toBe('email=z%40b.co&company=Caf%C3%A9');
  });

  it('reads a JSON object', async () => {
    expect((await submitted(json, '{"email":"a@b.co","employees":42,"consent":true}')).fields()).toEqual({
      email: 'a@b.co',
      employees: '42',
      consent: 'true',
    });
  });

  it('keeps every value of a urlencoded field given twice, in order', async () => {
    const { pairs } = await submitted(form, 'email=a@b.co&interest=pricing&interest=demo');
    expect(pairs()).toEqual([
      ['email', 'a@b.co'],
      ['interest', 'pricing'],
      ['interest', 'demo'],
    ]);
  });

  it('reads a multipart body as a browser sends it: text parts in order, file parts counted and not kept', async () => {
    const boundary = '----WebKitFormBoundary7MA4YWxkTrZu0gW';
    const part = (headers: string, value: string) => `--${boundary}\r\n${headers}\r\n\r\n${value}\r\n`;
    const body =
      part('Content-Disposition: form-data; name="email"', 'ada@example.com') +
      part('Content-Disposition: form-data; name="interest"', 'pricing') +
      part('Content-Disposition: form-data; name="interest"', 'demo') +
      part('Content-Disposition: form-data; name="resume"; filename="cv.pdf"\r\nContent-Type: application/pdf', '%PDF-1.4 fake') +
      `--${boundary}--\r\n`;
    const { event, pairs } = await submitted(`multipart/form-data; boundary=${boundary}`, body, { base64: true });
    expect(pairs()).toEqual([
      ['email', 'ada@example.com'],
      ['interest', 'pricing'],
      ['interest', 'demo'],
    ]);
    expect(event.form?.files).toEqual([{ field: 'resume', filename: 'cv.pdf', contentType: 'application/pdf', bytes: 13 }]);
    expect(event.form?.mediaType).toBe('multipart/form-data');
  });

  it('refuses a multipart body without its boundary with a 400', async () => {
    const error = await failure(submitted('multipart/form-data', 'email=a@b.co'));
    expect(error).toBeInstanceOf(ValidationError);
  });

  it('keeps control characters for the field checks to refuse', async () => {
    const { fields } = await submitted(form, 'email=a@b.co&company=Ac%00me');
    expect(() => fields()).toThrow('the submission has invalid fields');
  });

  it.each([
    ['[1,2]', 'the body must be a JSON object of fields'],
    ['null', 'the body must be a JSON object of fields'],
    ['{"email":', 'the body is not valid JSON'],
  ])('rejects the JSON body %s with a 400', async (body, message) => {
    const error = await failure(submitted(json, body));
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toBe(message);
  });

  it('rejects other media types with 415', async () => {
    expect(await failure(submitted('text/plain', 'x'))).toBeInstanceOf(UnsupportedMediaTypeError);
    expect(await failure(submitted(undefined, 'x'))).toBeInstanceOf(UnsupportedMediaTypeError);
  });

  it('rejects bodies over 64 KiB with 413, counting bytes not characters', async () => {
    const body = `message=${'é'.repeat(MAX_BODY_BYTES / 2)}`;
    expect(await failure(submitted(form, body))).toBeInstanceOf(PayloadTooLargeError);
  });
});

describe('JSON bodies (admin routes)', () => {
  it('parses a JSON object', async () => {
    expect((await adminBody('application/json', '{"name":"Pricing"}')).parsedBody).toEqual({ name: 'Pricing' });
  });

  it('reads no body on a GET', async () => {
    expect((await adminBody(undefined, '', 'GET')).parsedBody).toBeUndefined();
  });

  it('answers 415 for a form body, 400 for malformed JSON or a non-object', async () => {
    expect(await failure(adminBody(form, 'name=x'))).toBeInstanceOf(UnsupportedMediaTypeError);
    expect((await failure(adminBody('application/json', '{'))).message).toBe('the body is not valid JSON');
    expect((await failure(adminBody('application/json', ''))).message).toBe('the body is not valid JSON');
    expect((await failure(adminBody('application/json', '"x"'))).message).toBe('the body must be a JSON object');
  });

  it('answers 413 over 256 KiB', async () => {
    expect(await failure(adminBody('application/json', JSON.stringify({ x: 'y'.repeat(256 * 1024) })))).toBeInstanceOf(
      PayloadTooLargeError,
    );
  });
});
