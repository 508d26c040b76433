// A device authorization (RFC 8628) as stored, and its repository.

export type DeviceStatus = 'pending' | 'approved' | 'denied' | 'consumed';

export interface DeviceAuthorization {
  deviceCodeHash: string;
  /** Normalized: upper case, no separator. */
  userCode: string;
  clientId: string;
  scopes: string[];
  status: DeviceStatus;
  userId: string | null;
  intervalSeconds: number;
  lastPolledAt: string | null;
  expiresAt: string;
  createdAt: string;
}

export interface DeviceAuthorizationRepository {
  insert(device: DeviceAuthorization): Promise<void>;
  findByDeviceCodeHash(hash: string): Promise<DeviceAuthorization | undefined>;
  findByUserCode(userCode: string): Promise<DeviceAuthorization | undefined>;
  /** Moves a pending authorization to approved or denied; false if it was no longer pending. */
  decide(userCode: string, status: 'approved' | 'denied', userId: string): Promise<boolean>;
  /** Records a poll and the interval the client must now keep. */
  recordPoll(hash: string, at: string, intervalSeconds: number): Promise<void>;
  /** Marks an approved authorization consumed; false if another poll got there first. */
  consume(hash: string): Promise<boolean>;
}
