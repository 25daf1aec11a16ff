import { useState } from 'react';
import { Alert, Button, Checkbox, Group, Select, Stack, TextInput } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { errorsFromApi, FieldErrors, FormValues } from './forms';

export interface FieldSpec {
  name: string;
  label: string;
  kind?: 'text' | 'datetime' | 'checkbox' | 'select';
  options?: { value: string; label: string }[];
  description?: string;
  disabled?: boolean;
}

const KNOWN_ERRORS = new Set(['required', 'notWhole', 'notDate', 'zero', 'overLimit']);

/**
 * An admin form: the fields, a submit button, and errors next to the field they belong to. `toInput` checks what the
 * browser can; `save` sends it, and a BAD_USER_INPUT error from the API lands on the field it names.
 */
export function ConfigForm<T>({
  fields,
  initial,
  submitLabel,
  toInput,
  save,
  onSaved,
  testId,
}: {
  fields: FieldSpec[];
  initial: FormValues;
  submitLabel: string;
  toInput: (values: FormValues) => { input: T | null; errors: FieldErrors };
  save: (input: T) => Promise<unknown>;
  onSaved: () => void;
  testId?: string;
}) {
  const { t } = useTranslation();
  const [values, setValues] = useState<FormValues>(initial);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const message = (error: string | undefined) => (error === undefined ? undefined : KNOWN_ERRORS.has(error) ? t(`errors.${error}`) : error);
  const set = (name: string, value: string | boolean) => setValues((previous) => ({ ...previous, [name]: value }));

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    const parsed = toInput(values);
    setErrors(parsed.errors);
    setFormError(null);
    if (!parsed.input) return;
    setBusy(true);
    try {
      await save(parsed.input);
      onSaved();
    } catch (error) {
      const shown = errorsFromApi(error, fields.map((field) => field.name));
      setErrors(shown.fields);
      setFormError(shown.form);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={submit} noValidate data-testid={testId}>
      <Stack gap="sm">
        {fields.map((field) =>
          field.kind === 'checkbox' ? (
            <Checkbox key={field.name} label={field.label} checked={values[field.name] === true} disabled={field.disabled} onChange={(event) => set(field.name, event.currentTarget.checked)} error={message(errors[field.name])} />
          ) : field.kind === 'select' ? (
            <Select
              key={field.name}
              label={field.label}
              data={field.options ?? []}
              value={String(values[field.name] ?? '') || null}
              onChange={(value) => set(field.name, value ?? '')}
              disabled={field.disabled}
              description={field.description}
              error={message(errors[field.name])}
              clearable
            />
          ) : (
            <TextInput
              key={field.name}
              name={field.name}
              type={field.kind === 'datetime' ? 'datetime-local' : 'text'}
              label={field.label}
              description={field.description}
              value={String(values[field.name] ?? '')}
              disabled={field.disabled}
              onChange={(event) => set(field.name, event.currentTarget.value)}
              error={message(errors[field.name])}
            />
          ),
        )}
        {formError && (
          <Alert color="red" role="alert">
            {formError}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button type="submit" loading={busy}>
            {submitLabel}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
