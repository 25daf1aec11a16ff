import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// Built into dist/console and served by the API server at /console (src/console.route.ts).
export default defineConfig({
  root: __dirname,
  base: '/console/',
  plugins: [react()],
  build: {
    outDir: '../dist/console',
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
    rollupOptions: {
      input: { main: `${__dirname}/index.html`, graphiql: `${__dirname}/graphiql.html` },
      output: {
        manualChunks: (id) => (id.includes('node_modules/echarts') || id.includes('node_modules/zrender') ? 'echarts' : undefined),
      },
    },
  },
  test: { include: ['src/**/*.test.ts', 'src/**/*.test.tsx'], environment: 'node' },
});
