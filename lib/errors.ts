// Errors a caller can fix, with the HTTP status they map to. Everything else is a 5xx.

export class ClientError extends Error {
  readonly status: number;
  /** Every problem, when there are several (the message is the first). */
  readonly issues?: string[];
  constructor(status: number, message: string, issues?: string[]) {
    super(message);
    this.status = status;
    this.issues = issues;
  }
}

export class BadRequestError extends ClientError {
  constructor(message: string, issues?: string[]) {
    super(400, message, issues);
  }
}

export class NotFoundError extends ClientError {
  constructor(message: string) {
    super(404, message);
  }
}
