// Command daprd is the real Dapr sidecar, built from Dapr's own Go modules for the bridge's tests.
//
// It is daprd's own entry point (github.com/dapr/dapr/cmd/daprd/app), built with daprd's own
// `stablecomponents` build tag, plus the components that tag leaves out and the tests use
// (components.go). The Dapr line comes from the module file of the build: go.mod for the newest 1.18
// release the module proxy serves, go-1.16.mod for a 1.16 release, which lacks the stable
// BulkPublishEvent method. scripts/build-daprd.mjs builds both into .cache/daprd.
package main

import "github.com/dapr/dapr/cmd/daprd/app"

func main() {
	app.Run()
}
