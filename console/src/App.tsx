import { lazy, Suspense, useEffect, useState } from 'react';
import { AppShell, Button, DirectionProvider, Group, MantineProvider, NavLink, Select, Stack, Text, Title, useDirection } from '@mantine/core';
import { Notifications } from '@mantine/notifications';
import { useTranslation } from 'react-i18next';
import { setToken } from './api';
import { isRightToLeft, LANGUAGES, Language, setLanguage } from './i18n';
import { ADMIN_PAGES, hrefFor, Route, useRoute } from './route';
import { clearSession, loadSession, saveSession, Session, takeTokenFromHash } from './session';
import { SignIn } from './pages/SignIn';
import { MembersPage } from './pages/MembersPage';
import { MemberPage } from './pages/MemberPage';
import { AtRiskPage } from './pages/AtRiskPage';
import { TiersPage } from './pages/TiersPage';

// ECharts loads only when the growth dashboard opens.
const GrowthPage = lazy(() => import('./pages/GrowthPage').then((module) => ({ default: module.GrowthPage })));
// The programme pages load when an admin opens one, so support's first load stays small.
const PerksPage = lazy(() => import('./pages/PerksPage').then((module) => ({ default: module.PerksPage })));
const EarningRulesPage = lazy(() => import('./pages/EarningRulesPage').then((module) => ({ default: module.EarningRulesPage })));
const RewardsPage = lazy(() => import('./pages/RewardsPage').then((module) => ({ default: module.RewardsPage })));
const ExchangeRatesPage = lazy(() => import('./pages/ExchangeRatesPage').then((module) => ({ default: module.ExchangeRatesPage })));
const PointsCurrenciesPage = lazy(() => import('./pages/PointsCurrenciesPage').then((module) => ({ default: module.PointsCurrenciesPage })));
const LtvPage = lazy(() => import('./pages/LtvPage').then((module) => ({ default: module.LtvPage })));
const WebhooksPage = lazy(() => import('./pages/WebhooksPage').then((module) => ({ default: module.WebhooksPage })));
const AuditPage = lazy(() => import('./pages/AuditPage').then((module) => ({ default: module.AuditPage })));

/** Darker error and dimmed text than Mantine's defaults, so field errors and hints meet WCAG AA contrast. */
const contrastVariables = () => ({
  variables: {},
  light: { '--mantine-color-error': 'var(--mantine-color-red-9)', '--mantine-color-dimmed': 'var(--mantine-color-gray-7)' },
  dark: {},
});

function initialSession(): Session | null {
  const fromHash = takeTokenFromHash(window.location, window.history);
  const session = fromHash ? saveSession(fromHash) : loadSession();
  setToken(session?.token ?? null);
  return session;
}

export function App() {
  const [session, setSession] = useState<Session | null>(initialSession);
  const { i18n } = useTranslation();
  return (
    <DirectionProvider initialDirection={isRightToLeft(i18n.language) ? 'rtl' : 'ltr'}>
      <MantineProvider theme={{ primaryShade: 9 }} cssVariablesResolver={contrastVariables}>
        <Notifications />
        <DirectionSync />
        {session ? (
          <Shell
            session={session}
            onSignOut={() => {
              clearSession();
              setToken(null);
              setSession(null);
            }}
          />
        ) : (
          <SignIn
            onSignIn={(token) => {
              const next = saveSession(token);
              setToken(next?.token ?? null);
              setSession(next);
              return next !== null;
            }}
          />
        )}
      </MantineProvider>
    </DirectionProvider>
  );
}

/** Keeps Mantine's direction in step with the language (Arabic is right to left). */
function DirectionSync() {
  const { i18n } = useTranslation();
  const { setDirection } = useDirection();
  useEffect(() => setDirection(isRightToLeft(i18n.language) ? 'rtl' : 'ltr'), [i18n.language, setDirection]);
  return null;
}

export function LanguageSelect() {
  const { t, i18n } = useTranslation();
  return (
    <Select
      aria-label={t('app.language')}
      data={LANGUAGES.map((language) => ({ value: language.code, label: language.label }))}
      value={i18n.language}
      onChange={(value) => value && setLanguage(value as Language)}
      allowDeselect={false}
      w={190}
      data-testid="language"
    />
  );
}

const isStaff = (role: string) => role === 'support' || role === 'admin';

function Shell({ session, onSignOut }: { session: Session; onSignOut: () => void }) {
  const { t } = useTranslation();
  const route = useRoute();
  const links: { route: Route; label: string; admin?: boolean }[] = [
    { route: { page: 'members' }, label: t('nav.members') },
    { route: { page: 'atRisk' }, label: t('nav.atRisk') },
    { route: { page: 'growth' }, label: t('nav.growth'), admin: true },
    { route: { page: 'ltv' }, label: t('nav.ltv'), admin: true },
    { route: { page: 'tiers' }, label: t('nav.tiers'), admin: true },
    { route: { page: 'perks' }, label: t('nav.perks'), admin: true },
    { route: { page: 'earningRules' }, label: t('nav.earningRules'), admin: true },
    { route: { page: 'rewards' }, label: t('nav.rewards'), admin: true },
    { route: { page: 'exchangeRates' }, label: t('nav.exchangeRates'), admin: true },
    { route: { page: 'pointsCurrencies' }, label: t('nav.pointsCurrencies'), admin: true },
    { route: { page: 'webhooks' }, label: t('nav.webhooks'), admin: true },
    { route: { page: 'audit' }, label: t('nav.audit'), admin: true },
  ];
  const visible = links.filter((link) => !link.admin || session.role === 'admin');
  const adminOnly = ADMIN_PAGES.includes(route.page);
  return (
    <AppShell header={{ height: 60 }} navbar={{ width: 220, breakpoint: 'sm' }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between">
          <Title order={1} size="h3">
            {t('app.title')}
          </Title>
          <Group>
            <Text size="sm">{t('app.role', { role: session.role })}</Text>
            <LanguageSelect />
            <Button variant="default" onClick={onSignOut}>
              {t('app.signOut')}
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" component="nav" aria-label={t('app.title')}>
        <Stack gap={2}>
          {visible.map((link) => (
            <NavLink key={link.route.page} href={hrefFor(link.route)} label={link.label} variant="filled" active={route.page === link.route.page || (route.page === 'member' && link.route.page === 'members')} />
          ))}
          <NavLink href="/console/graphiql.html" label={t('nav.graphiql')} target="_blank" />
        </Stack>
      </AppShell.Navbar>
      <AppShell.Main>
        <Suspense fallback={<Text>{t('app.loading')}</Text>}>
        {!isStaff(session.role) || (adminOnly && session.role !== 'admin') ? (
          <MembersPage />
        ) : route.page === 'member' ? (
          <MemberPage id={route.id} role={session.role} />
        ) : route.page === 'atRisk' ? (
          <AtRiskPage />
        ) : route.page === 'growth' ? (
          <Suspense fallback={<Text>{t('app.loading')}</Text>}>
            <GrowthPage />
          </Suspense>
        ) : route.page === 'tiers' ? (
          <TiersPage />
        ) : route.page === 'perks' ? (
          <PerksPage />
        ) : route.page === 'earningRules' ? (
          <EarningRulesPage />
        ) : route.page === 'rewards' ? (
          <RewardsPage />
        ) : route.page === 'exchangeRates' ? (
          <ExchangeRatesPage />
        ) : route.page === 'pointsCurrencies' ? (
          <PointsCurrenciesPage />
        ) : route.page === 'ltv' ? (
          <LtvPage />
        ) : route.page === 'webhooks' ? (
          <WebhooksPage />
        ) : route.page === 'audit' ? (
          <AuditPage />
        ) : (
          <MembersPage />
        )}
        </Suspense>
      </AppShell.Main>
    </AppShell>
  );
}
