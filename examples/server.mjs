// A tiny HTTP service for the demo: answers /health and /greeting on the port given as argv[2].
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? 8080);
const server = createServer((req, res) => {
  if (req.url === '/health') return res.end('ok');
  if (req.url === '/greeting') return res.end(JSON.stringify({ greeting: 'hello from the background service' }));
  res.statusCode = 404;
  res.end('not found');
});
server.listen(port, '127.0.0.1', () => console.log(`listening on ${port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
