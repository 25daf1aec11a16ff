import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

/** A staged history order (migration history_import_staging): written by COPY, read set-based, deleted after the import. */
@Entity({ tableName: 'history_import_orders' })
@Index({ name: 'history_import_orders_chunk_idx', properties: ['importId', 'memberExternalId'] })
export class HistoryImportOrder {
  @PrimaryKey({ type: 'uuid' })
  importId!: string;

  /** The line of orders.csv. */
  @PrimaryKey({ type: 'int' })
  line!: number;

  @Property({ type: 'text' })
  externalId!: string;

  @Property({ type: 'text' })
  memberExternalId!: string;

  @Property({ type: 'bigint' })
  amountMinor!: string;

  @Property({ type: 'text' })
  currency!: string;

  @Property({ type: 'bigint' })
  baseAmountMinor!: string;

  @Property({ type: 'text' })
  fxRate!: string;

  @Property({ type: 'timestamptz' })
  placedAt!: Date;

  @Property({ type: 'bigint' })
  refundedMinor!: string;

  @Property({ type: 'text', nullable: true })
  refundHash!: string | null;
}
