// The page for a path nothing answers. Rendered per request, not prerendered: a prerendered
// page has no CSP nonce on its scripts, and 'strict-dynamic' would block every one of them.
import type { Metadata } from 'next';
import { connection } from 'next/server';

export const metadata: Metadata = { title: 'Not found · lastmile' };

export default async function NotFound() {
  await connection();
  return (
    <main className="order-page">
      <section className="problem">
        <h1>Nothing here</h1>
        <p className="muted">
          This address does not lead to a page. <a href="/">Go to the start page</a>.
        </p>
      </section>
    </main>
  );
}
