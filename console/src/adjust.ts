/** The adjust-points form's rules, as the API applies them, so the dialog can say what is wrong before sending. */

export interface AdjustForm {
  points: string;
  reason: string;
}

export interface AdjustLimits {
  /** Largest absolute adjustment per call for the role; null for no limit (admin). */
  perAdjustment: number | null;
}

/** The API's defaults (SUPPORT_ADJUSTMENT_LIMIT); admins have none. */
export function limitsFor(role: string): AdjustLimits {
  return { perAdjustment: role === 'admin' ? null : 5000 };
}

export type AdjustErrors = Partial<Record<keyof AdjustForm, 'required' | 'notWhole' | 'zero' | 'overLimit'>>;

export function validateAdjust(form: AdjustForm, limits: AdjustLimits): AdjustErrors {
  const errors: AdjustErrors = {};
  const text = form.points.trim();
  if (text === '') errors.points = 'required';
  else if (!/^[-+]?\d+$/.test(text)) errors.points = 'notWhole';
  else if (Number(text) === 0) errors.points = 'zero';
  else if (limits.perAdjustment !== null && Math.abs(Number(text)) > limits.perAdjustment) errors.points = 'overLimit';
  if (form.reason.trim() === '') errors.reason = 'required';
  return errors;
}

/** A fresh idempotency key per dialog: a double click sends the same key, so the API adjusts once. */
export function newIdempotencyKey(): string {
  return `console-${crypto.randomUUID()}`;
}
