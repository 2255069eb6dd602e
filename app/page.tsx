import { CourierTable } from './components/courier-table';

export default function HomePage() {
  return (
    <main>
      <h1>lastmile · couriers</h1>
      <p className="muted">
        Last known location of every courier, straight from the hot state. · <a href="/ops/orders">Orders</a>
      </p>
      <CourierTable />
    </main>
  );
}
