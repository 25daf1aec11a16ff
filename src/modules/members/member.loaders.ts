import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Member } from './member.entity';

type MemberKey = 'id' | 'externalId' | 'email';

/** Per-request batching of member look-ups: one query per key kind per tick. */
export class MemberLoaders {
  readonly byId: DataLoader<string, Member | null>;
  readonly byExternalId: DataLoader<string, Member | null>;
  readonly byEmail: DataLoader<string, Member | null>;

  constructor(private readonly em: EntityManager) {
    this.byId = this.loaderBy('id');
    this.byExternalId = this.loaderBy('externalId');
    this.byEmail = this.loaderBy('email');
  }

  private loaderBy(key: MemberKey): DataLoader<string, Member | null> {
    return new DataLoader(async (values) => {
      const members = await this.em.find(Member, { [key]: { $in: [...values] } });
      const found = new Map(members.map((member) => [member[key], member]));
      return values.map((value) => found.get(value) ?? null);
    });
  }
}
