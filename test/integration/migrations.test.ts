import { checkReadiness } from '../../src/db/database';
import { openTestOrm, TestOrm } from '../helpers/database';

describe('migrations', () => {
  let db: TestOrm;
  beforeAll(async () => {
    db = await openTestOrm();
  });
  afterAll(() => db.close());

  it('leave nothing pending on a fresh database', async () => {
    expect(await db.orm.getMigrator().getPendingMigrations()).toEqual([]);
    expect((await db.orm.getMigrator().getExecutedMigrations()).length).toBeGreaterThan(0);
  });

  it('match the entities exactly (no drift between entities and migrations)', async () => {
    const drift = await db.orm.getSchemaGenerator().getUpdateSchemaSQL({ wrap: false });
    expect(drift.trim()).toBe('');
  });

  it('make the database ready, and a pending migration makes it not ready', async () => {
    expect(await checkReadiness(db.orm)).toEqual({ ready: true });
    const em = db.orm.em.fork();
    const [last] = await em.getConnection().execute<{ name: string }[]>('select name from mikro_orm_migrations order by id desc limit 1');
    await em.getConnection().execute('delete from mikro_orm_migrations where name = ?', [last.name]);
    expect(await checkReadiness(db.orm)).toEqual({ ready: false, reason: '1 migration(s) pending' });
  });
});
