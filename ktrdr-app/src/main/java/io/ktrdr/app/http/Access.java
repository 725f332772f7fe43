package io.ktrdr.app.http;

/** Who may call a route. */
public enum Access {
  /** Anyone: liveness, readiness, the API documentation. */
  PUBLIC,
  /** Users: the optional API token when one is configured (the cluster secret is accepted too). */
  USER,
  /** The API and its workers only: the cluster secret. */
  CLUSTER
}
