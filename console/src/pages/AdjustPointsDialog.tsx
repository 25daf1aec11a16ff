import { useState } from 'react';
import { Alert, Button, Group, Modal, Stack, Text, TextInput } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useTranslation } from 'react-i18next';
import { graphql } from '../gql';
import { ApiError, request } from '../api';
import { AdjustErrors, limitsFor, newIdempotencyKey, validateAdjust } from '../adjust';

const ADJUST = graphql(`
  mutation ConsoleAdjustPoints($input: AdjustPointsInput!) {
    adjustPoints(input: $input) { id points }
  }
`);

export function AdjustPointsDialog({ memberId, role, onClose, onAdjusted }: { memberId: string; role: string; onClose: () => void; onAdjusted: () => void }) {
  const { t } = useTranslation();
  // One key for the life of the dialog: a double click or a retry adjusts once.
  const [idempotencyKey] = useState(newIdempotencyKey);
  const [form, setForm] = useState({ points: '', reason: '' });
  const [errors, setErrors] = useState<AdjustErrors>({});
  const [apiError, setApiError] = useState<ApiError | null>(null);
  const [sending, setSending] = useState(false);
  const limits = limitsFor(role);

  const submit = async () => {
    const found = validateAdjust(form, limits);
    setErrors(found);
    if (Object.keys(found).length) return;
    setSending(true);
    setApiError(null);
    try {
      await request(ADJUST, { input: { memberId, points: Number(form.points), reason: form.reason.trim(), idempotencyKey } });
      notifications.show({ message: t('adjust.done'), closeButtonProps: { 'aria-label': t('app.close') } });
      onAdjusted();
    } catch (error) {
      setApiError(error instanceof ApiError ? error : new ApiError(String(error), 'ERROR'));
    } finally {
      setSending(false);
    }
  };

  const fieldError = (field: 'points' | 'reason') =>
    errors[field] ? t(`errors.${errors[field]}`) : apiError?.field === field ? apiError.message : undefined;

  return (
    <Modal opened onClose={onClose} title={t('adjust.title')} closeButtonProps={{ 'aria-label': t('adjust.cancel') }}>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void submit();
        }}
      >
        <Stack>
          <TextInput label={t('adjust.points')} value={form.points} onChange={(event) => {
              setForm({ ...form, points: event.currentTarget.value });
              setErrors({ ...errors, points: undefined });
            }} error={fieldError('points')} inputMode="numeric" withAsterisk />
          <TextInput label={t('adjust.reason')} value={form.reason} onChange={(event) => {
              setForm({ ...form, reason: event.currentTarget.value });
              setErrors({ ...errors, reason: undefined });
            }} error={fieldError("reason")} withAsterisk />
          <Text size="sm">{limits.perAdjustment === null ? t('adjust.noLimit') : t('adjust.limit', { limit: limits.perAdjustment })}</Text>
          {apiError && !apiError.field && <Alert color="red">{apiError.message}</Alert>}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              {t('adjust.cancel')}
            </Button>
            <Button type="submit" loading={sending}>
              {t('adjust.submit')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
