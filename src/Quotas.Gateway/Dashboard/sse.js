// The events of a text/event-stream body, parsed as the HTML standard's EventSource parses them.
export async function* serverSentEvents(body) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let event = { data: [] };
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) {
        return;
      }

      buffer += value;
      // A CR at the end of a chunk may be the first half of a CRLF: it waits for the next chunk.
      const held = buffer.endsWith('\r') ? '\r' : '';
      const lines = buffer.slice(0, buffer.length - held.length).split(/\r\n|\r|\n/);
      buffer = lines.pop() + held;
      for (const line of lines) {
        if (line === '') {
          if (event.data.length > 0) {
            yield { type: event.type || 'message', data: event.data.join('\n'), id: event.id, retry: event.retry };
          }

          event = { data: [] };
        } else if (!line.startsWith(':')) {
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          let text = colon < 0 ? '' : line.slice(colon + 1);
          if (text.startsWith(' ')) {
            text = text.slice(1);
          }

          if (field === 'event') event.type = text;
          else if (field === 'data') event.data.push(text);
          else if (field === 'id') event.id = text;
          else if (field === 'retry' && /^\d+$/.test(text)) event.retry = Number(text);
        }
      }
    }
  } finally {
    reader.releaseLock();
  }
}
