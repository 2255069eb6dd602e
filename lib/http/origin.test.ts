import { describe, expect, it } from 'vitest';
import { allowedOrigins, originAllowed } from './origin';

describe('allowedOrigins', () => {
  it('takes the public URL and the listening address', () => {
    const allowed = allowedOrigins({ publicUrl: 'https://ops.example.com/app', host: '10.0.0.5', port: 3000 });
    expect([...allowed]).toEqual(['https://ops.example.com', 'http://10.0.0.5:3000']);
  });

  it('treats localhost and 127.0.0.1 as one on loopback', () => {
    const allowed = allowedOrigins({ publicUrl: '', host: '127.0.0.1', port: 4100 });
    expect(originAllowed('http://localhost:4100', allowed)).toBe(true);
    expect(originAllowed('http://127.0.0.1:4100', allowed)).toBe(true);
    expect(originAllowed('http://127.0.0.1:4101', allowed)).toBe(false);
  });
});

describe('originAllowed', () => {
  const allowed = allowedOrigins({ publicUrl: 'https://lastmile.example', host: '127.0.0.1', port: 3000 });

  it('refuses other origins, other schemes and other subdomains of the same site', () => {
    for (const origin of ['https://evil.example', 'http://lastmile.example', 'https://evil.lastmile.example', 'null', '']) {
      expect(originAllowed(origin, allowed), origin).toBe(false);
    }
  });

  it('allows its own origin, in any case, and requests without Origin', () => {
    expect(originAllowed('https://LASTMILE.example', allowed)).toBe(true);
    expect(originAllowed(undefined, allowed)).toBe(true);
  });
});
