import { useState } from 'react';
import { Button, Card, Center, Group, PasswordInput, Stack, Text, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { LanguageSelect } from '../App';

export function SignIn({ onSignIn }: { onSignIn: (token: string) => boolean }) {
  const { t } = useTranslation();
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  return (
    <Center component="main" mih="100vh">
      <Card withBorder w={420} padding="lg">
        <form
          onSubmit={(event) => {
            event.preventDefault();
            if (!onSignIn(token.trim())) setError(t('signIn.invalid'));
          }}
        >
          <Stack>
            <Group justify="space-between">
              <Title order={1} size="h2">
                {t('signIn.title')}
              </Title>
              <LanguageSelect />
            </Group>
            <PasswordInput label={t('signIn.token')} value={token} onChange={(event) => setToken(event.currentTarget.value)} error={error} required />
            <Text size="sm">{t('signIn.hint')}</Text>
            <Button type="submit">{t('signIn.submit')}</Button>
          </Stack>
        </form>
      </Card>
    </Center>
  );
}
