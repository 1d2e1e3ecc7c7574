import { StepError } from './step-error';

/** An expectation with action `fail` failed: the step rolls back; its results are kept for the operator. */
export class ExpectationError extends StepError {
  constructor(
    message: string,
    readonly results: unknown[],
  ) {
    super(message);
  }
}
