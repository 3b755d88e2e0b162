package dev.tandem.proxy.statics;

/** What a path under a static root turned out to be when it was last looked at on disk. */
sealed interface Lookup {

    /** Gives back the references the cache holds; called once, when the lookup leaves the cache. */
    void release();

    /**
     * A regular file, open, with its precompressed siblings when the site serves them.
     *
     * @param file   the file itself
     * @param brotli {@code file.br}, or null
     * @param gzip   {@code file.gz}, or null
     */
    record Found(OpenFile file, OpenFile brotli, OpenFile gzip) implements Lookup {

        /** The response depends on Accept-Encoding, so caches must key on it. */
        boolean varies() {
            return brotli != null || gzip != null;
        }

        @Override
        public void release() {
            file.release();
            if (brotli != null) {
                brotli.release();
            }
            if (gzip != null) {
                gzip.release();
            }
        }
    }

    /** A directory with an index file, asked for without its trailing slash: answered with a redirect to it. */
    enum Redirect implements Lookup {
        TO_DIRECTORY;

        @Override
        public void release() {
        }
    }

    /**
     * Nothing to serve: no such file, a directory without an index, something other than a regular file, or
     * a path refused once resolved (a symlink leaving the root, a hidden component behind a symlink).
     */
    enum Missing implements Lookup {
        NOT_FOUND;

        @Override
        public void release() {
        }
    }
}
