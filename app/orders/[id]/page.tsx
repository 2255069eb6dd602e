import type { Metadata } from 'next';
import { OrderTracker } from './order-tracker';

export const metadata: Metadata = { title: 'Your order · lastmile' };

export default async function OrderPage({ params, searchParams }: { params: Promise<{ id: string }>; searchParams: Promise<{ t?: string }> }) {
  const { id } = await params;
  const { t } = await searchParams;
  return (
    <main className="order-page">
      {t ? (
        <OrderTracker orderId={id} token={t} />
      ) : (
        <section className="problem" data-testid="order-problem">
          <h1>This tracking link is incomplete</h1>
          <p className="muted">Open the whole link from your message: it ends with ?t=…</p>
        </section>
      )}
    </main>
  );
}
