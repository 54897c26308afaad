# Tally's worker and API on production parts (see docker-compose.yml).
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bin ./bin
COPY scripts/compiled-cli.sh ./scripts/
# bin/tally runs the compiled JavaScript rather than compiling the sources at every start.
RUN scripts/compiled-cli.sh ensure
COPY examples ./examples
ENV NODE_ENV=production
ENTRYPOINT ["bin/tally"]
CMD ["worker"]
