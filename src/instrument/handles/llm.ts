import type { Attributes } from '@opentelemetry/api';
import {
  ATTR_GEN_AI_FINISH_REASONS,
  ATTR_GEN_AI_INPUT_TOKENS,
  ATTR_GEN_AI_OUTPUT_TOKENS,
} from '../../events/span-attributes.js';
import type { OperationFigures } from '../../events/operation-bus.js';
import { putData } from '../../events/sanitize.js';
import { internalError, readData, safeOwnData } from '../core.js';
import { ChunkWatch, OperationBase, ownWatchedStream, type Operation, type OperationInfo } from '../operation-base.js';

export type LlmInput = OperationInfo;

/** Token counts as the provider reports them (OpenAI's `usage.prompt_tokens` is `input_tokens` here). */
export interface LlmUsage {
  input_tokens?: number;
  output_tokens?: number;
}

/**
 * What an LLM callback may return: the reply text, or an object with it and the usage. A
 * streamed reply (the callback returns an async iterable) completes with the text of its
 * string chunks.
 */
export type LlmResult = string | { text?: string | null; usage?: LlmUsage; finish_reason?: string } | null | undefined | void;

export interface LlmOperation extends Operation {
  /** Marks LLM_FIRST_TOKEN now (only the first call counts). `stream()` does it for you. */
  firstToken(data?: Record<string, unknown>): void;
  /** Wraps a token stream: LLM_FIRST_TOKEN when its first chunk arrives; string chunks make the logged reply text. */
  stream<T>(source: AsyncIterable<T>): AsyncIterable<T>;
  /** Token usage for LLM_COMPLETE, the span (`gen_ai.usage.*`) and `gen_ai.client.token.usage`. */
  usage(usage: LlmUsage): void;
  /** Adds fields (e.g. `finish_reason`) to the LLM_COMPLETE event. */
  set(data: Record<string, unknown>): void;
}

/** The reply text kept from a stream: enough for the log (the sanitizer cuts longer strings anyway). */
const MAX_STREAM_TEXT = 16_384;

/**
 * LLM: LLM_REQUEST + LLM_START; LLM_FIRST_TOKEN on the first chunk (or, for a reply that arrives
 * whole, when it arrives); LLM_COMPLETE with the
 * reply text (redacted like transcripts), `input_tokens`, `output_tokens` and `finish_reason`
 * when known. A failure is LLM_ERROR.
 */
export class LlmHandle extends OperationBase implements LlmOperation {
  private firstTokenSeen = false;
  private tokens: LlmUsage = {};
  private streamed: string | undefined;

  begin(info: LlmInput): void {
    this.emitStart('LLM_REQUEST');
    this.emitStart('LLM_START', info);
  }

  override onChunk(chunk: unknown): void {
    if (!this.firstTokenSeen) this.firstToken();
    if (typeof chunk === 'string' && (this.streamed?.length ?? 0) < MAX_STREAM_TEXT) this.streamed = (this.streamed ?? '') + chunk;
  }

  override streamResult(): unknown {
    return this.streamed;
  }

  firstToken(data?: Record<string, unknown>): void {
    if (this.firstTokenSeen) return;
    this.firstTokenSeen = true;
    this.emit('LLM_FIRST_TOKEN', data);
  }

  stream<T>(source: AsyncIterable<T>): AsyncIterable<T> {
    return ownWatchedStream<T>(source, new ChunkWatch(this));
  }

  usage(usage: LlmUsage): void {
    const { input_tokens, output_tokens } = readData(usage);
    const input = count(input_tokens);
    const output = count(output_tokens);
    if (input !== undefined) this.tokens.input_tokens = input;
    if (output !== undefined) this.tokens.output_tokens = output;
  }

  protected override figures(): OperationFigures {
    return { inputTokens: this.tokens.input_tokens, outputTokens: this.tokens.output_tokens };
  }

  protected complete(result: unknown): void {
    // A reply that arrives whole reaches the app with its first token: TTFT = the call's duration.
    this.firstToken();
    let text: string | undefined = typeof result === 'string' ? result : this.streamed;
    let finishReason: string | undefined;
    if (result !== null && typeof result === 'object') {
      const r = result as { text?: unknown; usage?: LlmUsage; finish_reason?: unknown };
      if (typeof r.text === 'string') text = r.text;
      if (r.usage !== null && typeof r.usage === 'object') this.usage(r.usage);
      if (typeof r.finish_reason === 'string') finishReason = r.finish_reason;
    }
    const data: Record<string, unknown> = {};
    if (text !== undefined) {
      data.text = text;
      data.text_length = text.length;
    }
    if (this.tokens.input_tokens !== undefined) data.input_tokens = this.tokens.input_tokens;
    if (this.tokens.output_tokens !== undefined) data.output_tokens = this.tokens.output_tokens;
    if (finishReason !== undefined) data.finish_reason = finishReason;
    for (const key in this.extra) putData(data, key, this.extra[key]); // a `__proto__` key stays data
    const attrs: Attributes = {};
    if (this.tokens.input_tokens !== undefined) attrs[ATTR_GEN_AI_INPUT_TOKENS] = this.tokens.input_tokens;
    if (this.tokens.output_tokens !== undefined) attrs[ATTR_GEN_AI_OUTPUT_TOKENS] = this.tokens.output_tokens;
    const reason = typeof data.finish_reason === 'string' ? data.finish_reason : undefined;
    if (reason !== undefined) attrs[ATTR_GEN_AI_FINISH_REASONS] = [reason];
    try {
      this.node.span.setAttributes(attrs);
    } catch (err) {
      internalError(this.core, err); // a broken span: LLM_COMPLETE and its tokens are still logged
    }
    this.emitPrepared('LLM_COMPLETE', safeOwnData(data, this.core.redact)); // our own object: made safe in place
  }
}

function count(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.round(v) : undefined;
}
