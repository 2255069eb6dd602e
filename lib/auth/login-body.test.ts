import { describe, expect, it } from 'vitest';
import { AppError } from '../http/errors';
import { loginBodyKind, parseLoginBody } from './login-body';

const bytes = (text: string) => new TextEncoder().encode(text);

async function refusal(promise: Promise<unknown>): Promise<AppError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

describe('loginBodyKind', () => {
  it('knows forms and JSON, and refuses the rest with 415', () => {
    expect(loginBodyKind('application/x-www-form-urlencoded')).toBe('form');
    expect(loginBodyKind('multipart/form-data')).toBe('multipart');
    expect(loginBodyKind('application/json')).toBe('json');
    expect(() => loginBodyKind('text/plain')).toThrow(expect.objectContaining({ status: 415 }));
  });
});

describe('parseLoginBody', () => {
  it('reads a url-encoded form, JSON and a well-formed multipart body', async () => {
    expect(await parseLoginBody(bytes('name=ana&password=p%C3%A9'), 'form', '')).toEqual({ name: 'ana', password: 'pé' });
    expect(await parseLoginBody(bytes('{"name":"ana"}'), 'json', '')).toEqual({ name: 'ana' });
    const multipart = '--b\r\nContent-Disposition: form-data; name="name"\r\n\r\nana\r\n--b--\r\n';
    expect(await parseLoginBody(bytes(multipart), 'multipart', 'multipart/form-data; boundary=b')).toEqual({ name: 'ana' });
  });

  it.each([
    ['multipart/form-data; boundary=nope', '--b\r\nContent-Disposition: form-data; name="name"\r\n\r\nana\r\n--b--\r\n'],
    ['multipart/form-data', '--b\r\n'],
    ['multipart/form-data; boundary=b', 'not multipart at all'],
  ])('answers a broken multipart body (%s) with 400, not 500', async (type, body) => {
    const err = await refusal(parseLoginBody(bytes(body), 'multipart', type));
    expect(err).toMatchObject({ status: 400, code: 'invalid_request' });
    expect(err.message).toMatch(/boundary/);
  });

  it('answers broken JSON with 400 invalid_json', async () => {
    expect(await refusal(parseLoginBody(bytes('{"name":'), 'json', ''))).toMatchObject({ status: 400, code: 'invalid_json' });
  });
});
