import { Migration } from '@mikro-orm/migrations';

export class Migration20261126012115_ltv extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "ltv_runs" ("id" uuid not null, "as_of" timestamptz not null, "status" text check ("status" in ('RUNNING', 'SUCCEEDED', 'FAILED')) not null default 'RUNNING', "r" double precision null, "alpha" double precision null, "a" double precision null, "b" double precision null, "p" double precision null, "q" double precision null, "v" double precision null, "fitted_on" int not null default 0, "members_scored" int not null default 0, "started_at" timestamptz not null, "finished_at" timestamptz null, "error" text null, constraint "ltv_runs_pkey" primary key ("id"));`);
    this.addSql(`create index "ltv_runs_status_finished_at_index" on "ltv_runs" ("status", "finished_at");`);

    this.addSql(`create table "member_ltv" ("member_id" uuid not null, "tier" text not null, "churn_risk" text not null, "probability_alive" double precision not null, "expected_purchases_12m" double precision not null, "expected_order_value_minor" bigint not null, "expected_lifespan_weeks" double precision not null, "predicted_12m_minor" bigint not null, "historical_minor" bigint not null, "formula_ltv_minor" bigint null, "acquisition_cost_minor" bigint null, "ltv_to_cac" double precision null, "frequency" int not null, "recency_weeks" double precision not null, "age_weeks" double precision not null, "order_count" int not null, "run_id" uuid not null, "computed_at" timestamptz not null, constraint "member_ltv_pkey" primary key ("member_id"));`);
    this.addSql(`create index "member_ltv_at_risk_idx" on "member_ltv" ("predicted_12m_minor" desc, "member_id" desc) where churn_risk = 'HIGH' and tier in ('VIP', 'HIGH');`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "ltv_runs" cascade;`);

    this.addSql(`drop table if exists "member_ltv" cascade;`);
  }

}
