// Browser-side reads of the ops APIs. A session that lapsed while the page was open sends the
// page to the login form, which brings the user back here.
export async function getOpsJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (res.status === 401) window.location.assign(`/login?${new URLSearchParams({ next: window.location.pathname + window.location.search })}`);
  const body = (await res.json()) as T & { error?: { message: string } };
  if (!res.ok) throw new Error(body.error?.message ?? `HTTP ${res.status}`);
  return body;
}
