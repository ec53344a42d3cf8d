/** The ledger: a tamper-evident, witnessed audit and provenance log (RFC 9162, C2SP formats). */
export {
  Ledger,
  TILE_LEVEL,
  logVerifierKey,
  type AppendReceipt,
  type Cadence,
  type InclusionProof,
  type LedgerOptions,
  type LedgerQuery,
  type StoredEntry,
} from './ledger.js';
export { settledOrigin } from './origin.js';
export { ledgerMigrations, TIME_BLOCK, type LedgerTables } from './schema.js';
export type { IndexCadence } from './indexer.js';
export {
  AUDIT_KINDS,
  AUDIT_ENTRY_FLAGS,
  DATASET_STAGES,
  checkEntry,
  encodeEntry,
  decodeEntry,
  isPatientToken,
  type AuditEntry,
  type AuditKind,
  type AuditEntryFlag,
  type AccessDecisionEntry,
  type WriteEntry,
  type DatasetEventEntry,
  type DatasetStage,
  type Decision,
  type PatientToken,
} from './entry.js';
export {
  verifyLog,
  type VerifyOptions,
  type VerifyReport,
  type VerifyProblem,
  type ProblemKind,
} from './verify.js';
export { Alarms, type AlarmKind, type AlarmListener, type LedgerAlarm } from './alarm.js';
export {
  Witness,
  MemoryWitnessState,
  StoredWitnessState,
  parseAddCheckpoint,
  formatAddCheckpoint,
  type WitnessOptions,
  type WitnessResponse,
  type WitnessState,
  type WitnessStateStore,
  type WitnessedLog,
} from './witness.js';
export {
  requestCosignatures,
  postAddCheckpoint,
  parseWitnessPeers,
  CosigningSchedule,
  type CosignOutcome,
  type WitnessEndpoint,
  type WitnessPeer,
} from './cosigning.js';
export { auditEventOf, provenanceOf } from './fhir.js';
export { dataPassport, type DataPassport, type PassportDataset } from './passport.js';
// The stand-alone verifier: pure functions over checkpoints and proofs, no database.
export {
  verifyCheckpoint,
  verifyEntryInclusion,
  verifyCheckpointConsistency,
  type TrustPolicy,
  type TrustedCheckpoint,
  type InclusionProofJson,
} from './verifier.js';
export {
  EMPTY_ROOT,
  leafHash,
  nodeHash,
  verifyInclusion,
  verifyConsistency,
  rootFromInclusionProof,
  inclusionPath,
  consistencyPath,
  treeHead,
  type SubtreeSource,
} from './merkle.js';
export { CompactTree } from './tree.js';
export {
  signCheckpoint,
  openCheckpoint,
  parseCheckpoint,
  checkpointBody,
  type Checkpoint,
  type TreeHead,
} from './checkpoint.js';
export {
  ed25519Cosigner,
  verifyCosignatures,
  cosignedMessage,
  type Cosigner,
  type VerifiedCosignature,
} from './cosignature.js';
export {
  ed25519NoteSigner,
  formatVerifierKey,
  parseVerifierKey,
  parseNote,
  openNote,
  keyIdOf,
  verifierKey,
  SIG_ED25519,
  SIG_COSIGNATURE_V1,
  type VerifierKey,
  type NoteSigner,
  type Note,
  type Parsed,
} from './note.js';
export { ed25519Signer, randomSeed, type Ed25519Signer } from './primitives.js';
