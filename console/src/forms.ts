/** Form logic of the admin pages: text fields to API inputs, and API errors back onto the field they name. */
import { ApiError } from './api';

export type FormValues = Record<string, string | boolean>;
/** Form field -> an i18n key under errors.* or the API's own message. */
export type FieldErrors = Record<string, string>;

export interface Parsed<T> {
  input: T | null;
  errors: FieldErrors;
}

/**
 * The form field an API error belongs to: the field itself when the form has it, else the form field its path
 * starts with ("minOrder.amount" -> "minOrder"), else the form field it names flattened ("minOrder.currency" ->
 * "minOrderCurrency"); null when no field of the form matches (the error is then shown for the whole form).
 */
export function formFieldFor(apiField: string | undefined, formFields: readonly string[]): string | null {
  if (!apiField) return null;
  if (formFields.includes(apiField)) return apiField;
  const flattened = apiField.replace(/\.(\w)/g, (_, letter: string) => letter.toUpperCase());
  if (formFields.includes(flattened)) return flattened;
  const head = apiField.split('.')[0];
  return formFields.includes(head) ? head : null;
}

/** A failed save as field errors (the API's BAD_USER_INPUT with extensions.field) or one message for the form. */
export function errorsFromApi(error: unknown, formFields: readonly string[]): { fields: FieldErrors; form: string | null } {
  if (error instanceof ApiError) {
    const field = formFieldFor(error.field, formFields);
    // The API says "field: problem"; next to the field, the problem is enough.
    if (field) return { fields: { [field]: error.message.replace(/^[\w.]+: /, '') }, form: null };
    return { fields: {}, form: error.message };
  }
  return { fields: {}, form: error instanceof Error ? error.message : String(error) };
}

const text = (values: FormValues, name: string) => String(values[name] ?? '').trim();

/** Trimmed text, or null when empty. */
export function optionalText(value: string | boolean | undefined): string | null {
  const trimmed = String(value ?? '').trim();
  return trimmed === '' ? null : trimmed;
}

/** A whole number from a text field: null when empty, 'notWhole' when it is not one. */
export function optionalWhole(value: string | boolean | undefined): number | null | 'notWhole' {
  const trimmed = String(value ?? '').trim();
  if (trimmed === '') return null;
  return /^[-+]?\d{1,15}$/.test(trimmed) ? Number(trimmed) : 'notWhole';
}

/** "de, FR ,es" -> ["DE", "FR", "ES"]; empty -> null (every market). */
export function marketList(value: string | boolean | undefined): string[] | null {
  const markets = String(value ?? '')
    .split(/[\s,]+/)
    .map((market) => market.trim().toUpperCase())
    .filter(Boolean);
  return markets.length ? markets : null;
}

/** A datetime-local value ("2026-12-04T09:30", the browser's time zone) as an ISO instant; null when empty. */
export function instantFromLocal(value: string | boolean | undefined): string | null | 'notDate' {
  const trimmed = String(value ?? '').trim();
  if (trimmed === '') return null;
  const date = new Date(trimmed);
  return Number.isNaN(date.getTime()) ? 'notDate' : date.toISOString();
}

/** An ISO instant as a datetime-local value in the browser's time zone (for editing); '' for none. */
export function localFromInstant(iso: string | null | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

export const EARNING_RULE_FIELDS = ['code', 'name', 'currency', 'markets', 'startsAt', 'endsAt', 'minOrder', 'firstOrderOnly', 'multiplier', 'bonusPoints'] as const;

export interface EarningRuleInput {
  code?: string;
  currency?: string;
  name: string;
  markets: string[] | null;
  startsAt: string | null;
  endsAt: string | null;
  minOrder: { amount: string; currency: string } | null;
  firstOrderOnly: boolean;
  multiplier: string | null;
  bonusPoints: number | null;
}

/**
 * The earning-rule form as createEarningRule / updateEarningRule input. Empty optional fields are null (on update,
 * null clears). Only what the browser can tell is checked here; everything else is the API's to say, per field.
 */
export function earningRuleInput(values: FormValues, baseCurrency: string, creating: boolean): Parsed<EarningRuleInput> {
  const errors: FieldErrors = {};
  const name = text(values, 'name');
  if (!name) errors.name = 'required';
  const code = text(values, 'code');
  if (creating && !code) errors.code = 'required';
  const startsAt = instantFromLocal(values.startsAt);
  const endsAt = instantFromLocal(values.endsAt);
  if (startsAt === 'notDate') errors.startsAt = 'notDate';
  if (endsAt === 'notDate') errors.endsAt = 'notDate';
  const bonusPoints = optionalWhole(values.bonusPoints);
  if (bonusPoints === 'notWhole') errors.bonusPoints = 'notWhole';
  const minOrder = optionalText(values.minOrder);
  if (Object.keys(errors).length) return { input: null, errors };
  return {
    input: {
      ...(creating ? { code, currency: optionalText(values.currency) ?? 'PTS' } : {}),
      name,
      markets: marketList(values.markets),
      startsAt: startsAt as string | null,
      endsAt: endsAt as string | null,
      minOrder: minOrder === null ? null : { amount: minOrder, currency: baseCurrency },
      firstOrderOnly: values.firstOrderOnly === true,
      multiplier: optionalText(values.multiplier),
      bonusPoints: bonusPoints as number | null,
    },
    errors,
  };
}

/** Where a rule stands at `now`: standing (no window), scheduled, live or ended. */
export function ruleState(rule: { startsAt?: string | null; endsAt?: string | null }, now: Date): 'standing' | 'scheduled' | 'live' | 'ended' {
  if (rule.endsAt && Date.parse(rule.endsAt) <= now.getTime()) return 'ended';
  if (rule.startsAt && Date.parse(rule.startsAt) > now.getTime()) return 'scheduled';
  return rule.startsAt || rule.endsAt ? 'live' : 'standing';
}

/** Required text fields that are empty, as field errors. */
export function requireFields(values: FormValues, names: readonly string[]): FieldErrors {
  const errors: FieldErrors = {};
  for (const name of names) if (!text(values, name)) errors[name] = 'required';
  return errors;
}

/** The points currency form's values as createPointsCurrency's input (creating) or updatePointsCurrency's (the code fixed). */
export function pointsCurrencyInput(values: FormValues): Parsed<{ code: string; name: string; valueInBase: string; earnRate: string; expiryMonths: number; earnsOnOrders: boolean }> {
  const errors = requireFields(values, ['code', 'name', 'valueInBase', 'earnRate', 'expiryMonths']);
  const expiryMonths = optionalWhole(values.expiryMonths);
  if (expiryMonths === 'notWhole') errors.expiryMonths = 'notWhole';
  if (Object.keys(errors).length) return { input: null, errors };
  return {
    input: {
      code: text(values, 'code'),
      name: text(values, 'name'),
      valueInBase: text(values, 'valueInBase'),
      earnRate: text(values, 'earnRate'),
      expiryMonths: expiryMonths as number,
      earnsOnOrders: values.earnsOnOrders === true,
    },
    errors,
  };
}

/** The audit page's filters as auditLog's arguments: exact action and actor (trimmed), a role; empty ones left out. */
export function auditFilterVariables(filter: { action: string; actor: string; actorRole: string }): { action: string | null; actor: string | null; actorRole: string | null } {
  const given = (value: string) => value.trim() || null;
  return { action: given(filter.action), actor: given(filter.actor), actorRole: given(filter.actorRole) };
}
