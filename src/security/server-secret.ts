// Random keys the whole cluster shares, made once.

export interface ServerSecretRepository {
  /** The secret named `name`; `candidate` becomes it if there is none yet (the first node to ask wins). */
  getOrCreate(name: string, candidate: string, at: string): Promise<string>;
}
