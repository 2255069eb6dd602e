// The ops pages' header: where to go, who is signed in, and the way out.
export function OpsHeader({ user }: { user: string }) {
  return (
    <header className="ops-header">
      <nav>
        <a href="/">Couriers</a>
        <a href="/ops/orders">Orders</a>
        <a href="/stats">Stats</a>
      </nav>
      <span className="muted" data-testid="ops-user">
        {user}
      </span>
      {/* A form, not a link: signing out is a POST, which other sites cannot trigger. */}
      <form method="post" action="/api/auth/logout">
        <button type="submit">Sign out</button>
      </form>
    </header>
  );
}
