import type { Metadata } from 'next';
import { redirect } from 'next/navigation';
import { currentOpsSession } from '@/lib/auth/require-ops';
import { safeNextPath } from '@/lib/auth/safe-next-path';

export const metadata: Metadata = { title: 'Sign in · lastmile ops' };

// The login API sends a failed form back here with one of these.
const PROBLEMS = new Map([
  ['wrong_credentials', 'Wrong name or password.'],
  ['throttled', 'Too many failed sign-ins for this name. Wait a minute, then try again.'],
]);

export default async function LoginPage({ searchParams }: { searchParams: Promise<{ next?: string; error?: string }> }) {
  const { next, error } = await searchParams;
  const target = safeNextPath(next);
  if (await currentOpsSession()) redirect(target);
  const problem = PROBLEMS.get(String(error));
  return (
    <main className="login">
      <h1>lastmile ops</h1>
      <p className="muted">Sign in to see the couriers and orders.</p>
      {problem ? (
        <p role="alert" className="login-error">
          {problem}
        </p>
      ) : null}
      <form method="post" action="/api/auth/login">
        <input type="hidden" name="next" value={target} />
        <label>
          Name
          <input name="name" autoComplete="username" autoCapitalize="none" autoCorrect="off" spellCheck={false} required autoFocus />
        </label>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" required />
        </label>
        <button type="submit">Sign in</button>
      </form>
    </main>
  );
}
