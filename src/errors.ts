// Errors that services raise. The HTTP layers and the CLI turn them into
// their own shapes; nothing here knows about status codes.

export interface FieldError {
  field: string;
  message: string;
}

export class ValidationError extends Error {
  readonly errors: FieldError[];
  constructor(errors: FieldError[]) {
    super(errors.map((e) => `${e.field}: ${e.message}`).join('; '));
    this.errors = errors;
  }
}

export class NotFoundError extends Error {}

export class ConflictError extends Error {}
