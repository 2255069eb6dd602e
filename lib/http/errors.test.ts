import { describe, expect, it } from 'vitest';
import { AppError, toErrorResponse } from './errors';

describe('toErrorResponse', () => {
  it('maps codes to statuses and keeps the issues', () => {
    const issue = { field: '/lat', rule: 'maximum', message: 'lat must be <= 90' };
    expect(toErrorResponse(new AppError('validation_failed', 'bad', [issue]))).toEqual({
      status: 400,
      body: { error: { code: 'validation_failed', message: 'bad', issues: [issue] } },
    });
    expect(toErrorResponse(new AppError('unavailable', 'later')).status).toBe(503);
  });

  it('hides the details of anything unknown', () => {
    expect(toErrorResponse(new Error('password=hunter2 at db.internal'))).toEqual({
      status: 500,
      body: { error: { code: 'internal', message: 'Internal error' } },
    });
  });
});
