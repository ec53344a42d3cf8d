import type { Migration } from '../store/index.js';

/** The tables of the crypto module, as Kysely sees them. */
export interface CryptoTables {
  /**
   * One row per patient data key generation: the data key wrapped under a tenant KEK version.
   * Erasure overwrites `wrapped_key` with random bytes and sets `destroyed_at` (a tombstone that
   * also stops new data from being sealed for the erased patient).
   */
  crypto_data_key: {
    tenant_id: string;
    patient_key: string;
    generation: number;
    wrapped_key: Uint8Array;
    kek_version: number;
    created_at: number;
    destroyed_at: number | null;
  };
}

export const cryptoMigrations: Migration[] = [
  {
    name: '20261123_0300_crypto_data_keys',
    up: async (db, { types }) => {
      await db.schema
        .createTable('crypto_data_key')
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('patient_key', 'text', (c) => c.notNull())
        .addColumn('generation', 'integer', (c) => c.notNull())
        .addColumn('wrapped_key', types.bytes, (c) => c.notNull())
        .addColumn('kek_version', 'integer', (c) => c.notNull())
        .addColumn('created_at', types.bigint, (c) => c.notNull())
        .addColumn('destroyed_at', types.bigint)
        .addPrimaryKeyConstraint('crypto_data_key_pk', ['tenant_id', 'patient_key', 'generation'])
        .execute();
      // `keys rotate` walks the keys still wrapped under older KEK versions.
      await db.schema
        .createIndex('crypto_data_key_kek')
        .on('crypto_data_key')
        .columns(['tenant_id', 'kek_version'])
        .execute();
    },
  },
];
