import { Migration } from '@mikro-orm/migrations';

export class Migration20261126002818_tiers extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "member_tiers" ("member_id" uuid not null, "tier_code" text not null, "reached_at" timestamptz not null, "retain_until" timestamptz null, constraint "member_tiers_pkey" primary key ("member_id"));`);
    this.addSql(`create index "member_tiers_review_idx" on "member_tiers" ("retain_until") where "retain_until" is not null;`);

    this.addSql(`create table "member_tier_changes" ("id" bigserial primary key, "member_id" uuid not null, "from_tier" text not null, "to_tier" text not null, "reason" text not null, "qualifying_spend_minor" bigint not null, "changed_at" timestamptz not null);`);
    this.addSql(`create index "member_tier_changes_member_id_changed_at_index" on "member_tier_changes" ("member_id", "changed_at");`);

    this.addSql(`create table "perks" ("code" text not null, "name" text not null, "names" jsonb not null, "support_priority" text null, "created_at" timestamptz not null, constraint "perks_pkey" primary key ("code"));`);

    this.addSql(`create table "perk_grants" ("source_kind" text check ("source_kind" in ('TIER', 'LTV')) not null, "source_code" text not null, "perk_code" text not null, constraint "perk_grants_pkey" primary key ("source_kind", "source_code", "perk_code"));`);

    this.addSql(`create table "tiers" ("code" text not null, "name" text not null, "names" jsonb not null, "rank" int not null, "threshold_minor" bigint not null, "earn_multiplier" text not null, "created_at" timestamptz not null, constraint "tiers_pkey" primary key ("code"));`);
    this.addSql(`alter table "tiers" add constraint "tiers_rank_unique" unique ("rank");`);
    // The default ladder over a 12-month window, thresholds in minor units of a two-digit base currency
    // (300, 1000 and 3000 USD); a programme on another base currency sets its own with updateTier.
    this.addSql(`insert into "tiers" ("code", "name", "names", "rank", "threshold_minor", "earn_multiplier", "created_at") values
      ('BRONZE', 'Bronze', '{"de":"Bronze","id":"Perunggu","ms":"Gangsa","ja":"ブロンズ","ar":"برونزي","pt":"Bronze"}', 0, 0, '1', now()),
      ('SILVER', 'Silver', '{"de":"Silber","id":"Perak","ms":"Perak","ja":"シルバー","ar":"فضي","pt":"Prata"}', 1, 30000, '1.25', now()),
      ('GOLD', 'Gold', '{"de":"Gold","id":"Emas","ms":"Emas","ja":"ゴールド","ar":"ذهبي","pt":"Ouro"}', 2, 100000, '1.5', now()),
      ('PLATINUM', 'Platinum', '{"de":"Platin","id":"Platinum","ms":"Platinum","ja":"プラチナ","ar":"بلاتيني","pt":"Platina"}', 3, 300000, '2', now());`);
    this.addSql(`insert into "perks" ("code", "name", "names", "support_priority", "created_at") values
      ('PRIORITY_SUPPORT', 'Priority customer service', '{"de":"Bevorzugter Kundenservice","id":"Layanan pelanggan prioritas","ja":"優先カスタマーサポート"}', 'PRIORITY', now()),
      ('DEDICATED_SUPPORT', 'Dedicated customer service', '{"de":"Persönlicher Kundenservice","id":"Layanan pelanggan khusus","ja":"専任カスタマーサポート"}', 'DEDICATED', now()),
      ('EARLY_ACCESS', 'Early access to new products', '{"de":"Früher Zugang zu neuen Produkten","id":"Akses awal produk baru","ja":"新商品の先行アクセス"}', null, now()),
      ('FREE_SHIPPING', 'Free shipping', '{"de":"Kostenloser Versand","id":"Gratis ongkir","ja":"送料無料"}', null, now()),
      ('BIRTHDAY_GIFT', 'Birthday gift', '{"de":"Geburtstagsgeschenk","id":"Hadiah ulang tahun","ja":"誕生日ギフト"}', null, now()),
      ('EARN_BOOST', 'Points boost on every order', '{"de":"Mehr Punkte bei jeder Bestellung","id":"Poin ekstra setiap pesanan","ja":"ポイントアップ"}', null, now());`);
    // GOLD grants priority support, PLATINUM dedicated support, LTV VIP dedicated and LTV HIGH priority
    // support; every tier gets the birthday gift; the tiers above BRONZE boost earning.
    this.addSql(`insert into "perk_grants" ("source_kind", "source_code", "perk_code") values
      ('TIER', 'BRONZE', 'BIRTHDAY_GIFT'),
      ('TIER', 'SILVER', 'BIRTHDAY_GIFT'), ('TIER', 'SILVER', 'EARN_BOOST'),
      ('TIER', 'GOLD', 'BIRTHDAY_GIFT'), ('TIER', 'GOLD', 'EARN_BOOST'), ('TIER', 'GOLD', 'FREE_SHIPPING'), ('TIER', 'GOLD', 'PRIORITY_SUPPORT'),
      ('TIER', 'PLATINUM', 'BIRTHDAY_GIFT'), ('TIER', 'PLATINUM', 'EARN_BOOST'), ('TIER', 'PLATINUM', 'FREE_SHIPPING'), ('TIER', 'PLATINUM', 'EARLY_ACCESS'), ('TIER', 'PLATINUM', 'DEDICATED_SUPPORT'),
      ('LTV', 'VIP', 'DEDICATED_SUPPORT'),
      ('LTV', 'HIGH', 'PRIORITY_SUPPORT');`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "member_tiers" cascade;`);

    this.addSql(`drop table if exists "member_tier_changes" cascade;`);

    this.addSql(`drop table if exists "perks" cascade;`);

    this.addSql(`drop table if exists "perk_grants" cascade;`);

    this.addSql(`drop table if exists "tiers" cascade;`);
  }

}
