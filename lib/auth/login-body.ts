// The fields of a login request's body: a form (url-encoded or multipart) or JSON. The body
// is read with a cap first (readLimitedBody): a login needs a few hundred bytes.
import { AppError } from '../http/errors';

/** Room for the longest name and password (1024 characters) percent-encoded as 3-byte UTF-8. */
export const LOGIN_MAX_BODY_BYTES = 16 * 1024;

export type LoginBodyKind = 'form' | 'multipart' | 'json';

const KINDS = new Map<string, LoginBodyKind>([
  ['application/x-www-form-urlencoded', 'form'],
  ['multipart/form-data', 'multipart'],
  ['application/json', 'json'],
]);

/** What kind of body a media type announces; 415 for anything else, before the body is read. */
export function loginBodyKind(mediaType: string): LoginBodyKind {
  const kind = KINDS.get(mediaType);
  if (!kind) throw new AppError('unsupported_media_type', 'send the form fields or application/json');
  return kind;
}

/** The body's fields; 400 saying why when it cannot be read. `contentType` is the whole header (multipart needs its boundary). */
export async function parseLoginBody(body: Uint8Array<ArrayBuffer>, kind: LoginBodyKind, contentType: string): Promise<unknown> {
  const text = () => new TextDecoder().decode(body);
  if (kind === 'form') return Object.fromEntries(new URLSearchParams(text()));
  if (kind === 'json') {
    try {
      return JSON.parse(text()) as unknown;
    } catch (err) {
      throw new AppError('invalid_json', `the body is not valid JSON: ${(err as Error).message}`);
    }
  }
  try {
    return Object.fromEntries(await new Response(body, { headers: { 'content-type': contentType } }).formData());
  } catch (err) {
    throw new AppError('invalid_request', 'the multipart body could not be read: check its boundary and parts', [], { cause: err });
  }
}
