/** Something the service can use when it is reachable (Redis, PostgreSQL); /ready reports each. */
export interface DependencyCheck {
  name: string;
  /** Resolves when the dependency answers; rejects with the reason otherwise. */
  check(): Promise<void>;
  /** What to do when it is down, e.g. "start Redis or set REDIS_URL". */
  hint: string;
  /** What needs it, e.g. "POST /v1/jobs". */
  neededBy: string;
}
