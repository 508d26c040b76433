// For tests that build services on a bare store: an audit log that records
// into it and warns no one. Tests that call a service directly act as the
// server itself (SYSTEM), not as a user.
import { AuditLog } from '../../src/audit/audit-log.ts';
import type { Store } from '../../src/store/store.ts';

export { SYSTEM } from '../../src/audit/audit-event.ts';

export const quietAudit = (store: Store): AuditLog => new AuditLog({ store, retentionDays: 365, log: { warn() {} } });
