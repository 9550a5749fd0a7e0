// Errors a caller can fix, with the HTTP status they map to. Everything else is a 5xx.

export class ClientError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export class BadRequestError extends ClientError {
  constructor(message: string) {
    super(400, message);
  }
}

export class NotFoundError extends ClientError {
  constructor(message: string) {
    super(404, message);
  }
}
