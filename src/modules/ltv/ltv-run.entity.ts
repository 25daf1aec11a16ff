import { Entity, Enum, Index, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { v7 as uuidv7 } from 'uuid';

export enum LtvRunStatus {
  RUNNING = 'RUNNING',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
}

/**
 * One LTV run: the models fitted as of `asOf` (BG/NBD r, alpha, a, b and Gamma-Gamma p, q, v, time in weeks)
 * and how many members it scored. A failed run keeps its error and no parameters.
 */
@Entity({ tableName: 'ltv_runs' })
@Index({ properties: ['status', 'finishedAt'] })
export class LtvRun {
  [OptionalProps]?: 'status' | 'r' | 'alpha' | 'a' | 'b' | 'p' | 'q' | 'v' | 'fittedOn' | 'membersScored' | 'startedAt' | 'finishedAt' | 'error';

  @PrimaryKey({ type: 'uuid' })
  id: string = uuidv7();

  @Property({ type: 'timestamptz' })
  asOf!: Date;

  @Enum({ items: () => LtvRunStatus })
  status: LtvRunStatus = LtvRunStatus.RUNNING;

  @Property({ type: 'double', nullable: true })
  r: number | null = null;

  @Property({ type: 'double', nullable: true })
  alpha: number | null = null;

  @Property({ type: 'double', nullable: true })
  a: number | null = null;

  @Property({ type: 'double', nullable: true })
  b: number | null = null;

  @Property({ type: 'double', nullable: true })
  p: number | null = null;

  @Property({ type: 'double', nullable: true })
  q: number | null = null;

  @Property({ type: 'double', nullable: true })
  v: number | null = null;

  /** Members with at least one order before asOf: the BG/NBD fitting population. */
  @Property({ type: 'integer', default: 0 })
  fittedOn: number = 0;

  @Property({ type: 'integer', default: 0 })
  membersScored: number = 0;

  @Property({ type: 'timestamptz' })
  startedAt: Date = new Date();

  @Property({ type: 'timestamptz', nullable: true })
  finishedAt: Date | null = null;

  @Property({ type: 'text', nullable: true })
  error: string | null = null;
}
