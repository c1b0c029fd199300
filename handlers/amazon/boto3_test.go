package amazon_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// python3WithBoto3 finds a Python that imports boto3: Debian's (with
// python3-boto3, which scripts/ensure-tools.sh installs), else the one on
// PATH.
func python3WithBoto3() string {
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		if path, err := exec.LookPath(py); err == nil && exec.Command(path, "-c", "import boto3").Run() == nil {
			return path
		}
	}
	return ""
}

// Python apps send through Sesame with boto3 unchanged: SES v2 and v1,
// every action the Go SDK tests cover, by testdata/boto3_client.py.
func TestBoto3(t *testing.T) {
	py := python3WithBoto3()
	if py == "" {
		t.Skip("no python3 with boto3 here: install Debian's python3-boto3 (scripts/ensure-tools.sh does) to run the boto3 test")
	}
	e := newEnv(t)
	cmd := exec.Command(py, "testdata/boto3_client.py")
	cmd.Env = append(os.Environ(), "SESAME_ENDPOINT="+e.URL, "SESAME_SECRET_ID="+e.ID, "SESAME_SECRET_KEY="+e.Secret,
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_EC2_METADATA_DISABLED=true")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "all checks passed") {
		t.Fatalf("%s: %v\n%s", py, err, out)
	}
	t.Logf("%s", out)
}
