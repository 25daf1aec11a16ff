import { BadUserInputError, InputChecks } from './errors';
import { normaliseLocale } from './modules/members/member.validation';

/** Names of configuration (tiers, perks, rewards) keyed by BCP 47 locale ("de-DE") or bare language ("de"). */
export type LocalisedNames = Record<string, string>;

const MAX_NAME_LENGTH = 200;

/**
 * The name to show a reader: the exact locale, else its language ("de" for "de-AT"), else another
 * locale of that language ("de-DE"), else the default name.
 */
export function localisedName(defaultName: string, names: LocalisedNames, locale: string | null | undefined): string {
  if (!locale) return defaultName;
  if (names[locale]) return names[locale];
  const language = locale.split('-')[0].toLowerCase();
  if (names[language]) return names[language];
  const sameLanguage = Object.keys(names)
    .sort()
    .find((key) => key.split('-')[0].toLowerCase() === language);
  return sameLanguage ? names[sameLanguage] : defaultName;
}

/** A display name: trimmed, 1 to 200 characters. */
export function nameOrFail(value: string, field: string): string {
  const name = value.trim();
  if (!name || name.length > MAX_NAME_LENGTH) throw new BadUserInputError(field, `must be 1 to ${MAX_NAME_LENGTH} characters`);
  return name;
}

/** Localised names from input: each locale canonical and given once, each name valid. */
export function localisedNamesOrFail(names: { locale: string; name: string }[], field = 'names'): LocalisedNames {
  const result: LocalisedNames = {};
  const checks = new InputChecks();
  names.forEach((entry, index) => {
    const locale = checks.check(() => {
      const canonical = normaliseLocale(entry.locale, `${field}[${index}].locale`);
      if (result[canonical] !== undefined) throw new BadUserInputError(`${field}[${index}].locale`, `${canonical} is given twice`);
      return canonical;
    });
    const name = checks.check(() => nameOrFail(entry.name, `${field}[${index}].name`));
    if (locale !== undefined && name !== undefined) result[locale] = name;
  });
  checks.throwIfAny();
  return result;
}
