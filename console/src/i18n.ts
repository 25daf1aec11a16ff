import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';
import en from './locales/en.json';
import zhCN from './locales/zh-CN.json';
import es from './locales/es.json';
import id from './locales/id.json';
import ar from './locales/ar.json';
import enMore from './locales/more/en.json';
import zhCNMore from './locales/more/zh-CN.json';
import esMore from './locales/more/es.json';
import idMore from './locales/more/id.json';
import arMore from './locales/more/ar.json';

type Strings = { [key: string]: string | Strings };

/** `base` with `more`'s keys added, nested objects merged (the admin pages' strings live in locales/more/). */
export function mergeStrings(base: Strings, more: Strings): Strings {
  const merged: Strings = { ...base };
  for (const [key, value] of Object.entries(more)) {
    const existing = merged[key];
    merged[key] = typeof value === 'object' && typeof existing === 'object' ? mergeStrings(existing, value) : value;
  }
  return merged;
}

export const LANGUAGES = [
  { code: 'en', label: 'English' },
  { code: 'zh-CN', label: '简体中文' },
  { code: 'es', label: 'Español' },
  { code: 'id', label: 'Bahasa Indonesia' },
  { code: 'ar', label: 'العربية' },
] as const;
export type Language = (typeof LANGUAGES)[number]['code'];

const STORAGE_KEY = 'perkgraph.language';

/** The stored choice, else the first browser language we have (zh-* -> zh-CN, es-MX -> es), else English. */
export function pickLanguage(preferred: readonly string[], stored: string | null): Language {
  const codes = LANGUAGES.map((language) => language.code as string);
  if (stored && codes.includes(stored)) return stored as Language;
  for (const tag of preferred) {
    if (codes.includes(tag)) return tag as Language;
    const base = tag.split('-')[0].toLowerCase();
    if (base === 'zh') return 'zh-CN';
    if (codes.includes(base)) return base as Language;
  }
  return 'en';
}

export const isRightToLeft = (language: string) => language === 'ar';

export function applyDocumentLanguage(language: string): void {
  document.documentElement.lang = language;
  document.documentElement.dir = isRightToLeft(language) ? 'rtl' : 'ltr';
}

export function setLanguage(language: Language): void {
  localStorage.setItem(STORAGE_KEY, language);
  applyDocumentLanguage(language);
  void i18n.changeLanguage(language);
}

export function initI18n(): typeof i18n {
  const language = pickLanguage(navigator.languages ?? [navigator.language], localStorage.getItem(STORAGE_KEY));
  applyDocumentLanguage(language);
  void i18n.use(initReactI18next).init({
    resources: {
      en: { translation: mergeStrings(en, enMore) },
      'zh-CN': { translation: mergeStrings(zhCN, zhCNMore) },
      es: { translation: mergeStrings(es, esMore) },
      id: { translation: mergeStrings(id, idMore) },
      ar: { translation: mergeStrings(ar, arMore) },
    },
    lng: language,
    fallbackLng: 'en',
    interpolation: { escapeValue: false },
  });
  return i18n;
}
