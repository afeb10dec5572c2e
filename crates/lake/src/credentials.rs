//! S3 credentials whose absence is said in one line.
//!
//! object_store picks a credential provider from the environment (keys, web identity, container,
//! instance metadata). When none of them has credentials — typically off AWS, where the instance
//! metadata endpoint does not answer — its error is that of the metadata request, repeated per
//! attempt. [`Reporting`] wraps whatever provider was chosen and marks its failures, so
//! [`crate::LakeError::NoCredentials`] can name the problem instead.
//!
//! object_store fetches the credential before it signs, hence before it sends, every S3 request
//! (`client/s3.rs`, `aws/client.rs`: `get_credential().await?` precedes the request): with no
//! credentials no request leaves for the bucket's endpoint.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use object_store::aws::{AwsCredential, AwsCredentialProvider};
use object_store::CredentialProvider;

/// A credential provider that marks its failures with [`NoCredentials`].
#[derive(Debug)]
pub(crate) struct Reporting {
    inner: AwsCredentialProvider,
}

impl Reporting {
    pub(crate) fn new(inner: AwsCredentialProvider) -> Reporting {
        Reporting { inner }
    }
}

/// The marker: no provider found credentials; the text is the provider's error on one line.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct NoCredentials(pub(crate) String);

// Written out instead of `#[async_trait]` (the trait is declared with it): one boxed future.
impl CredentialProvider for Reporting {
    type Credential = AwsCredential;

    fn get_credential<'a, 'b>(
        &'a self,
    ) -> Pin<Box<dyn Future<Output = object_store::Result<Arc<AwsCredential>>> + Send + 'b>>
    where
        'a: 'b,
        Self: 'b,
    {
        Box::pin(async move {
            self.inner
                .get_credential()
                .await
                .map_err(|e| object_store::Error::Generic {
                    store: "S3",
                    source: Box::new(NoCredentials(crate::store::error_chain(&e))),
                })
        })
    }
}

/// The cause when `error` (or one of its sources) is a credential failure.
pub(crate) fn no_credentials(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(marker) = e.downcast_ref::<NoCredentials>() {
            return Some(marker.0.clone());
        }
        current = e.source();
    }
    None
}
