'use client';

import { useCallback, useState } from 'react';

export interface Toast {
  id: number;
  text: string;
}

let nextId = 1;

/** Toasts that disappear after a few seconds; the region is announced to screen readers. */
export function useToasts(lifetimeMs = 6000) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const push = useCallback(
    (text: string) => {
      const id = nextId++;
      setToasts((list) => [...list, { id, text }]);
      setTimeout(() => setToasts((list) => list.filter((t) => t.id !== id)), lifetimeMs);
    },
    [lifetimeMs],
  );
  return { toasts, push };
}

export function Toasts({ toasts }: { toasts: Toast[] }) {
  return (
    <div className="toasts" role="status" aria-live="polite">
      {toasts.map((t) => (
        <div key={t.id} className="toast" data-testid="toast">
          {t.text}
        </div>
      ))}
    </div>
  );
}
