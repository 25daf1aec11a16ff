import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  headers: Record<string, string>;
  body: string;
  /** The status the receiver answered with. */
  status: number;
}

export interface WebhookReceiver {
  url: string;
  received: ReceivedWebhook[];
  /** The status for the next requests, in order; when empty, `fallback`. */
  answers: number[];
  fallback: number;
  close(): Promise<void>;
}

/** A real HTTP receiver on 127.0.0.1 that records every request and answers with scripted statuses. */
export async function startWebhookReceiver(fallback = 200): Promise<WebhookReceiver> {
  const receiver: WebhookReceiver = { url: '', received: [], answers: [], fallback, close: async () => undefined };
  const server = http.createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      const status = receiver.answers.shift() ?? receiver.fallback;
      const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, String(value)]));
      receiver.received.push({ headers, body, status });
      if (status >= 300 && status < 400) response.setHeader('location', `${receiver.url}/redirected`);
      response.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  receiver.close = () => new Promise((resolve) => server.close(() => resolve()));
  return receiver;
}
