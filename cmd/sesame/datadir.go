package main

import (
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
)

// prepareDataDir makes the data directory private, then loads or makes the
// secret key in it. The directory holds the secret key, the SQLite database
// with its journal, TLS keys and uploaded recipient lists: the directory is
// 0700 and everything in it 0600 (directories 0700), also when it existed
// before, with a warning for each entry that others could read. Files made
// later are made so: the SQLite database is created 0600 (models.Open) and
// SQLite gives its -wal and -shm files the database's mode.
func (cfg *Config) prepareDataDir(log *slog.Logger) error {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return &configError{"SESAME_DATA_DIR", "cannot be created: " + err.Error()}
	}
	err := filepath.WalkDir(cfg.DataDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type()&fs.ModeSymlink != 0 {
			return nil // its target is not ours to change
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		private := fs.FileMode(0o600)
		if d.IsDir() {
			private = 0o700
		}
		if info.Mode().Perm()&0o077 == 0 {
			return nil
		}
		log.Warn("the data directory held an entry other users could read; it is private now", "path", path, "mode", info.Mode().String())
		return os.Chmod(path, private)
	})
	if err != nil {
		return &configError{"SESAME_DATA_DIR", "cannot be made private: " + err.Error()}
	}
	return cfg.ensureSecretKey()
}
