using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CustomModels.Core.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class WebhookHostAndFairClaims : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "WebhookHost",
                table: "transcriptions",
                type: "TEXT",
                maxLength: 300,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_transcriptions_OrganizationId_FinishedAt",
                table: "transcriptions",
                columns: new[] { "OrganizationId", "FinishedAt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_transcriptions_OrganizationId_FinishedAt",
                table: "transcriptions");

            migrationBuilder.DropColumn(
                name: "WebhookHost",
                table: "transcriptions");
        }
    }
}
