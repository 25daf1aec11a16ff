import { Field, InputType, ObjectType } from 'type-graphql';
import type { LocalisedNames } from '../localised-names';

@ObjectType('LocalisedName')
export class LocalisedNameView {
  @Field({ description: 'BCP 47.' })
  locale!: string;

  @Field()
  name!: string;

  /** Every localised name, by locale. */
  static list(names: LocalisedNames): LocalisedNameView[] {
    return Object.keys(names)
      .sort()
      .map((locale) => Object.assign(new LocalisedNameView(), { locale, name: names[locale] }));
  }
}

@InputType('LocalisedNameInput')
export class LocalisedNameInput {
  @Field({ description: 'BCP 47, such as de-DE, or a bare language such as de.' })
  locale!: string;

  @Field()
  name!: string;
}
